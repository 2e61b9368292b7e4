-- A schema with everything a restore must carry over exactly: routines and
-- triggers with DELIMITER, views, events, generated and spatial columns,
-- blobs, latin1 and utf8mb4 text with every kind of quote, zero dates,
-- AUTO_INCREMENT 0, TIMESTAMPs, a foreign key whose child sorts first, and
-- tables with and without a primary key. Loaded by the mariadb client.
SET NAMES utf8mb4;
SET time_zone = '+00:00';
SET sql_mode = 'NO_AUTO_VALUE_ON_ZERO';
CREATE DATABASE rich CHARACTER SET utf8mb4;
USE rich;

CREATE TABLE b_parent (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL) ENGINE=InnoDB;
CREATE TABLE a_child (
  id INT AUTO_INCREMENT PRIMARY KEY,
  parent INT NOT NULL,
  note VARCHAR(40),
  FOREIGN KEY (parent) REFERENCES b_parent(id)
) ENGINE=InnoDB;
INSERT INTO b_parent VALUES (1, 'one'), (2, 'two');
INSERT INTO a_child VALUES (0, 1, 'auto-increment zero'), (5, 2, 'five');

CREATE TABLE texts (
  id INT PRIMARY KEY,
  u TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
  l VARCHAR(100) CHARACTER SET latin1,
  b VARBINARY(100)
) ENGINE=InnoDB;
INSERT INTO texts VALUES
  (1, 'it''s "double" `back` \\ slash', 'café naïve Ångström ÿ', 0x00FF27225C0A0D1A),
  (2, 'emoji 😀🚀 and ;; and */ and -- and # and /*! */', 'latin1 £ § ° ½', ''),
  (3, 'line\nbreak\r\ncarriage\ttab\0nul', NULL, NULL),
  (4, '中文 русский العربية', 'Ñandú', X'');

CREATE TABLE dates (
  id INT PRIMARY KEY,
  d DATE, dt DATETIME(6), ts TIMESTAMP NULL DEFAULT NULL, y YEAR, t TIME(3)
) ENGINE=InnoDB;
INSERT INTO dates VALUES
  (1, '0000-00-00', '0000-00-00 00:00:00', NULL, 0000, '-838:59:59'),
  (2, '2024-02-00', '2024-00-10 10:00:00.123456', '2020-01-01 00:00:00', 2024, '12:34:56.789'),
  (3, '1000-01-01', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07', 1901, '00:00:00');

CREATE TABLE gen (
  id INT PRIMARY KEY,
  a INT NOT NULL,
  name VARCHAR(20),
  doubled INT AS (a * 2) VIRTUAL,
  upper_name VARCHAR(20) AS (UPPER(name)) STORED,
  KEY (upper_name)
) ENGINE=InnoDB;
INSERT INTO gen (id, a, name) VALUES (1, 21, 'abc'), (2, -4, NULL);

CREATE TABLE places (
  id INT PRIMARY KEY,
  p POINT NOT NULL,
  g GEOMETRY,
  SPATIAL KEY (p)
) ENGINE=InnoDB;
INSERT INTO places VALUES
  (1, ST_GeomFromText('POINT(1 2)'), ST_GeomFromText('POLYGON((0 0,10 0,10 10,0 10,0 0))')),
  (2, ST_GeomFromText('POINT(-71.06 42.36)'), NULL);

CREATE TABLE blobs (id INT PRIMARY KEY, data LONGBLOB) ENGINE=InnoDB;
INSERT INTO blobs SELECT seq, RANDOM_BYTES(1024) FROM seq_1_to_8;
INSERT INTO blobs VALUES (100, REPEAT(0x00FF5C27, 600000));

CREATE TABLE nopk (k INT, v VARCHAR(10)) ENGINE=InnoDB;
INSERT INTO nopk VALUES (1, 'dup'), (1, 'dup'), (2, NULL), (NULL, NULL);

CREATE TABLE myisam_log (id INT PRIMARY KEY, msg VARCHAR(50), KEY (msg)) ENGINE=MyISAM;
INSERT INTO myisam_log VALUES (1, 'disable keys'), (2, 'enable keys');

-- Big enough that mariadb-dump writes many extended INSERTs, which the
-- engine runs concurrently.
CREATE TABLE big (
  id INT AUTO_INCREMENT PRIMARY KEY,
  uuid CHAR(36) NOT NULL,
  payload VARCHAR(400),
  amount DECIMAL(12,3),
  created TIMESTAMP NOT NULL DEFAULT '2001-01-01 00:00:00',
  UNIQUE KEY (uuid)
) ENGINE=InnoDB;
INSERT INTO big (uuid, payload, amount, created)
  SELECT UUID(), REPEAT(CONCAT('row ', seq, ' ''q'' '), 1 + seq % 20), seq / 7, FROM_UNIXTIME(1000000000 + seq * 97)
  FROM seq_1_to_40000;

CREATE TABLE audit (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(100)) ENGINE=InnoDB;

CREATE VIEW big_summary AS SELECT COUNT(*) AS n, SUM(amount) AS total FROM big;
CREATE VIEW texts_latin AS SELECT id, l FROM texts WHERE l IS NOT NULL;

DELIMITER ;;
CREATE TRIGGER gen_audit AFTER INSERT ON gen FOR EACH ROW
BEGIN
  -- a comment; with a semicolon
  INSERT INTO audit (what) VALUES (CONCAT('gen ', NEW.id, ';; inserted'));
END ;;
CREATE PROCEDURE add_parent(IN p_id INT, IN p_name VARCHAR(40))
BEGIN
  DECLARE msg VARCHAR(40) DEFAULT 'it''s ;; "fine"';
  INSERT INTO b_parent VALUES (p_id, p_name);
  SELECT msg;
END ;;
CREATE FUNCTION shout(s VARCHAR(50)) RETURNS VARCHAR(60) CHARSET utf8mb4 DETERMINISTIC
BEGIN
  RETURN CONCAT(UPPER(s), '!', ' 😀');
END ;;
CREATE EVENT nightly ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 03:00:00' DISABLE
DO BEGIN
  DELETE FROM audit WHERE id < 0;
END ;;
DELIMITER ;
