DROP TABLE basket_items;
