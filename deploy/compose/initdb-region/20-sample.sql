-- A little data so the lab has something to back up: stats excludes a dump
-- without tables. MARIADB_DATABASE=appdb has created the database.
CREATE TABLE IF NOT EXISTS appdb.items (
  id INT PRIMARY KEY AUTO_INCREMENT,
  name VARCHAR(64) NOT NULL,
  created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB;
INSERT INTO appdb.items (name) VALUES ('alpha'), ('beta'), ('gamma'), ('delta');
CREATE OR REPLACE VIEW appdb.item_names AS SELECT name FROM appdb.items;
