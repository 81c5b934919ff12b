DROP TABLE readiness_marks;
DROP TABLE feed_events;
DROP FUNCTION feed_settled();
DROP FUNCTION feed_tx();
DROP TABLE feed_clock;
