DROP TABLE section_watches;
