-- A watched change is recorded on the China day it happened (UTC+8, no daylight saving), as every
-- other day the broker shows is: `current_date` is the session's day, and sessions run in UTC, so
-- from 16:00 to 24:00 UTC a bank's alert carried yesterday's date. Rows recorded before this
-- migration keep the day they were given (the instant of the change is not kept to correct them).
ALTER TABLE watched_changes ALTER COLUMN recorded_on SET DEFAULT ((now() AT TIME ZONE 'UTC') + interval '8 hours')::date;
