DROP TABLE readiness_marks;
DROP TABLE feed_events;
DROP TABLE feed_clock;
