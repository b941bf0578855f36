DROP TABLE course_prerequisites;
