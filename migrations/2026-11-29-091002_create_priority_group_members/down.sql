DROP TABLE priority_group_members;
