-- major cities and the county that holds each (seed city_counties), for the dashboard's search
select
    city_counties.city,
    city_counties.state,
    city_counties.jurisdiction_id,
    city_counties.note
from {{ ref('city_counties') }} as city_counties
