DROP TABLE priority_groups;
