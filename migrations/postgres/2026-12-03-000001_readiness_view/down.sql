DROP TABLE readiness_view;
