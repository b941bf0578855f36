DROP TABLE registration_windows;
