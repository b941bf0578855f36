DROP TABLE completed_courses;
