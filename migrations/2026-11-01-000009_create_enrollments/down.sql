DROP TABLE enrollments;
