/*M!999999\- enable the sandbox mode */ 
-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)
--
-- Host: 127.0.0.1    Database: sqldump_fx
-- ------------------------------------------------------
-- Server version	10.11.19-MariaDB-0+deb12u1

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET @OLD_CHARACTER_SET_RESULTS=@@CHARACTER_SET_RESULTS */;
/*!40101 SET @OLD_COLLATION_CONNECTION=@@COLLATION_CONNECTION */;
/*!40101 SET NAMES utf8mb4 */;
/*!40103 SET @OLD_TIME_ZONE=@@TIME_ZONE */;
/*!40103 SET TIME_ZONE='+00:00' */;
/*!40014 SET @OLD_UNIQUE_CHECKS=@@UNIQUE_CHECKS, UNIQUE_CHECKS=0 */;
/*!40014 SET @OLD_FOREIGN_KEY_CHECKS=@@FOREIGN_KEY_CHECKS, FOREIGN_KEY_CHECKS=0 */;
/*!40101 SET @OLD_SQL_MODE=@@SQL_MODE, SQL_MODE='NO_AUTO_VALUE_ON_ZERO' */;
/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;

--
-- Table structure for table `blobs`
--

DROP TABLE IF EXISTS `blobs`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `blobs` (
  `id` int(11) NOT NULL,
  `b` longblob DEFAULT NULL,
  `s` varchar(200) DEFAULT NULL,
  `note` text DEFAULT NULL COMMENT 'has ; and ( in comment',
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `blobs`
--

LOCK TABLES `blobs` WRITE;
/*!40000 ALTER TABLE `blobs` DISABLE KEYS */;
INSERT INTO `blobs` VALUES (1,'\0','plain',NULL);
INSERT INTO `blobs` VALUES (2,'\0\0ÿ','it\'s (a) \\ test\nline; with -- dashes /* not comment */ # hash','x');
INSERT INTO `blobs` VALUES (3,'\'\"\\\n\r\Z\0','\"double\" `back` ;;',');(,');
INSERT INTO `blobs` VALUES (4,'a\0b','), (','\'),(\'');
INSERT INTO `blobs` VALUES (5,'ÿþý€','tab	here\r\n','Ã¼nÃ¯cÃ¶dÃ©');
INSERT INTO `blobs` VALUES (6,'','','');
INSERT INTO `blobs` VALUES (7,'\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0','))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))','((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((');
/*!40000 ALTER TABLE `blobs` ENABLE KEYS */;
UNLOCK TABLES;
/*!50003 SET @saved_cs_client      = @@character_set_client */ ;
/*!50003 SET @saved_cs_results     = @@character_set_results */ ;
/*!50003 SET @saved_col_connection = @@collation_connection */ ;
/*!50003 SET character_set_client  = utf8mb3 */ ;
/*!50003 SET character_set_results = utf8mb3 */ ;
/*!50003 SET collation_connection  = utf8mb3_general_ci */ ;
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;
/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION' */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`127.0.0.1`*/ /*!50003 TRIGGER trg_blobs AFTER INSERT ON blobs FOR EACH ROW
BEGIN
  INSERT INTO log_t (msg, n) VALUES ('ins; (x)', NEW.id);
  SET @x = 1;
END 
*/;;
DELIMITER ;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;
/*!50003 SET character_set_client  = @saved_cs_client */ ;
/*!50003 SET character_set_results = @saved_cs_results */ ;
/*!50003 SET collation_connection  = @saved_col_connection */ ;

--
-- Table structure for table `empty_t`
--

DROP TABLE IF EXISTS `empty_t`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `empty_t` (
  `id` int(11) DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `empty_t`
--

LOCK TABLES `empty_t` WRITE;
/*!40000 ALTER TABLE `empty_t` DISABLE KEYS */;
/*!40000 ALTER TABLE `empty_t` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `log_t`
--

DROP TABLE IF EXISTS `log_t`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `log_t` (
  `id` int(11) NOT NULL AUTO_INCREMENT,
  `msg` varchar(100) DEFAULT NULL,
  `n` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `log_t`
--

LOCK TABLES `log_t` WRITE;
/*!40000 ALTER TABLE `log_t` DISABLE KEYS */;
INSERT INTO `log_t` VALUES (1,'pre',0);
INSERT INTO `log_t` VALUES (2,'pre2',1);
/*!40000 ALTER TABLE `log_t` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Table structure for table `many`
--

DROP TABLE IF EXISTS `many`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `many` (
  `id` int(11) NOT NULL,
  `v` varchar(40) DEFAULT NULL,
  `d` double DEFAULT NULL,
  PRIMARY KEY (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `many`
--

LOCK TABLES `many` WRITE;
/*!40000 ALTER TABLE `many` DISABLE KEYS */;
INSERT INTO `many` VALUES (1,'row-1x',-0.333333333);
INSERT INTO `many` VALUES (2,'row-2xx',-0.666666666);
INSERT INTO `many` VALUES (3,'row-3xxx',-1);
INSERT INTO `many` VALUES (4,'row-4xxxx',-1.333333333);
INSERT INTO `many` VALUES (5,'row-5xxxxx',-1.666666666);
INSERT INTO `many` VALUES (6,'row-6xxxxxx',-2);
INSERT INTO `many` VALUES (7,'row-7xxxxxxx),(',-2.333333333);
INSERT INTO `many` VALUES (8,'row-8xxxxxxxx',-2.666666666);
INSERT INTO `many` VALUES (9,'row-9xxxxxxxxx',-3);
INSERT INTO `many` VALUES (10,'row-10xxxxxxxxxx',-3.333333333);
INSERT INTO `many` VALUES (11,'row-11xxxxxxxxxxx\\',-3.666666666);
INSERT INTO `many` VALUES (12,'row-12xxxxxxxxxxxx',-4);
INSERT INTO `many` VALUES (13,'row-13',-4.333333333);
INSERT INTO `many` VALUES (14,'row-14x),(',-4.666666666);
INSERT INTO `many` VALUES (15,'row-15xx',-5);
INSERT INTO `many` VALUES (16,'row-16xxx',-5.333333333);
INSERT INTO `many` VALUES (17,'row-17xxxx',-5.666666666);
INSERT INTO `many` VALUES (18,'row-18xxxxx',-6);
INSERT INTO `many` VALUES (19,'row-19xxxxxx',-6.333333333);
INSERT INTO `many` VALUES (20,'row-20xxxxxxx',-6.666666666);
INSERT INTO `many` VALUES (21,'row-21xxxxxxxx),(',-7);
INSERT INTO `many` VALUES (22,'row-22xxxxxxxxx\\',-7.333333333);
INSERT INTO `many` VALUES (23,'row-23xxxxxxxxxx',-7.666666666);
INSERT INTO `many` VALUES (24,'row-24xxxxxxxxxxx',-8);
INSERT INTO `many` VALUES (25,'row-25xxxxxxxxxxxx',-8.333333333);
INSERT INTO `many` VALUES (26,'row-26',-8.666666666);
INSERT INTO `many` VALUES (27,'row-27x',-9);
INSERT INTO `many` VALUES (28,'row-28xx),(',-9.333333333);
INSERT INTO `many` VALUES (29,'row-29xxx',-9.666666666);
INSERT INTO `many` VALUES (30,'row-30xxxx',-10);
INSERT INTO `many` VALUES (31,'row-31xxxxx',-10.333333333);
INSERT INTO `many` VALUES (32,'row-32xxxxxx',-10.666666666);
INSERT INTO `many` VALUES (33,'row-33xxxxxxx\\',-11);
INSERT INTO `many` VALUES (34,'row-34xxxxxxxx',-11.333333333);
INSERT INTO `many` VALUES (35,'row-35xxxxxxxxx),(',-11.666666666);
INSERT INTO `many` VALUES (36,'row-36xxxxxxxxxx',-12);
INSERT INTO `many` VALUES (37,'row-37xxxxxxxxxxx',-12.333333333);
INSERT INTO `many` VALUES (38,'row-38xxxxxxxxxxxx',-12.666666666);
INSERT INTO `many` VALUES (39,'row-39',-13);
INSERT INTO `many` VALUES (40,'row-40x',-13.333333333);
INSERT INTO `many` VALUES (41,'row-41xx',-13.666666666);
INSERT INTO `many` VALUES (42,'row-42xxx),(',-14);
INSERT INTO `many` VALUES (43,'row-43xxxx',-14.333333333);
INSERT INTO `many` VALUES (44,'row-44xxxxx\\',-14.666666666);
INSERT INTO `many` VALUES (45,'row-45xxxxxx',-15);
INSERT INTO `many` VALUES (46,'row-46xxxxxxx',-15.333333333);
INSERT INTO `many` VALUES (47,'row-47xxxxxxxx',-15.666666666);
INSERT INTO `many` VALUES (48,'row-48xxxxxxxxx',-16);
INSERT INTO `many` VALUES (49,'row-49xxxxxxxxxx),(',-16.333333333);
INSERT INTO `many` VALUES (50,'row-50xxxxxxxxxxx',-16.666666666);
INSERT INTO `many` VALUES (51,'row-51xxxxxxxxxxxx',-17);
INSERT INTO `many` VALUES (52,'row-52',-17.333333333);
INSERT INTO `many` VALUES (53,'row-53x',-17.666666666);
INSERT INTO `many` VALUES (54,'row-54xx',-18);
INSERT INTO `many` VALUES (55,'row-55xxx\\',-18.333333333);
INSERT INTO `many` VALUES (56,'row-56xxxx),(',-18.666666666);
INSERT INTO `many` VALUES (57,'row-57xxxxx',-19);
INSERT INTO `many` VALUES (58,'row-58xxxxxx',-19.333333333);
INSERT INTO `many` VALUES (59,'row-59xxxxxxx',-19.666666666);
INSERT INTO `many` VALUES (60,'row-60xxxxxxxx',-20);
INSERT INTO `many` VALUES (61,'row-61xxxxxxxxx',-20.333333333);
INSERT INTO `many` VALUES (62,'row-62xxxxxxxxxx',-20.666666666);
INSERT INTO `many` VALUES (63,'row-63xxxxxxxxxxx),(',-21);
INSERT INTO `many` VALUES (64,'row-64xxxxxxxxxxxx',-21.333333333);
INSERT INTO `many` VALUES (65,'row-65',-21.666666666);
INSERT INTO `many` VALUES (66,'row-66x\\',-22);
INSERT INTO `many` VALUES (67,'row-67xx',-22.333333333);
INSERT INTO `many` VALUES (68,'row-68xxx',-22.666666666);
INSERT INTO `many` VALUES (69,'row-69xxxx',-23);
INSERT INTO `many` VALUES (70,'row-70xxxxx),(',-23.333333333);
INSERT INTO `many` VALUES (71,'row-71xxxxxx',-23.666666666);
INSERT INTO `many` VALUES (72,'row-72xxxxxxx',-24);
INSERT INTO `many` VALUES (73,'row-73xxxxxxxx',-24.333333333);
INSERT INTO `many` VALUES (74,'row-74xxxxxxxxx',-24.666666666);
INSERT INTO `many` VALUES (75,'row-75xxxxxxxxxx',-25);
INSERT INTO `many` VALUES (76,'row-76xxxxxxxxxxx',-25.333333333);
INSERT INTO `many` VALUES (77,'row-77xxxxxxxxxxxx),(\\',-25.666666666);
INSERT INTO `many` VALUES (78,'row-78',-26);
INSERT INTO `many` VALUES (79,'row-79x',-26.333333333);
INSERT INTO `many` VALUES (80,'row-80xx',-26.666666666);
INSERT INTO `many` VALUES (81,'row-81xxx',-27);
INSERT INTO `many` VALUES (82,'row-82xxxx',-27.333333333);
INSERT INTO `many` VALUES (83,'row-83xxxxx',-27.666666666);
INSERT INTO `many` VALUES (84,'row-84xxxxxx),(',-28);
INSERT INTO `many` VALUES (85,'row-85xxxxxxx',-28.333333333);
INSERT INTO `many` VALUES (86,'row-86xxxxxxxx',-28.666666666);
INSERT INTO `many` VALUES (87,'row-87xxxxxxxxx',-29);
INSERT INTO `many` VALUES (88,'row-88xxxxxxxxxx\\',-29.333333333);
INSERT INTO `many` VALUES (89,'row-89xxxxxxxxxxx',-29.666666666);
INSERT INTO `many` VALUES (90,'row-90xxxxxxxxxxxx',-30);
INSERT INTO `many` VALUES (91,'row-91),(',-30.333333333);
INSERT INTO `many` VALUES (92,'row-92x',-30.666666666);
INSERT INTO `many` VALUES (93,'row-93xx',-31);
INSERT INTO `many` VALUES (94,'row-94xxx',-31.333333333);
INSERT INTO `many` VALUES (95,'row-95xxxx',-31.666666666);
INSERT INTO `many` VALUES (96,'row-96xxxxx',-32);
INSERT INTO `many` VALUES (97,'row-97xxxxxx',-32.333333333);
INSERT INTO `many` VALUES (98,'row-98xxxxxxx),(',-32.666666666);
INSERT INTO `many` VALUES (99,'row-99xxxxxxxx\\',-33);
INSERT INTO `many` VALUES (100,'row-100xxxxxxxxx',-33.333333333);
INSERT INTO `many` VALUES (101,'row-101xxxxxxxxxx',-33.666666666);
INSERT INTO `many` VALUES (102,'row-102xxxxxxxxxxx',-34);
INSERT INTO `many` VALUES (103,'row-103xxxxxxxxxxxx',-34.333333333);
INSERT INTO `many` VALUES (104,'row-104',-34.666666666);
INSERT INTO `many` VALUES (105,'row-105x),(',-35);
INSERT INTO `many` VALUES (106,'row-106xx',-35.333333333);
INSERT INTO `many` VALUES (107,'row-107xxx',-35.666666666);
INSERT INTO `many` VALUES (108,'row-108xxxx',-36);
INSERT INTO `many` VALUES (109,'row-109xxxxx',-36.333333333);
INSERT INTO `many` VALUES (110,'row-110xxxxxx\\',-36.666666666);
INSERT INTO `many` VALUES (111,'row-111xxxxxxx',-37);
INSERT INTO `many` VALUES (112,'row-112xxxxxxxx),(',-37.333333333);
INSERT INTO `many` VALUES (113,'row-113xxxxxxxxx',-37.666666666);
INSERT INTO `many` VALUES (114,'row-114xxxxxxxxxx',-38);
INSERT INTO `many` VALUES (115,'row-115xxxxxxxxxxx',-38.333333333);
INSERT INTO `many` VALUES (116,'row-116xxxxxxxxxxxx',-38.666666666);
INSERT INTO `many` VALUES (117,'row-117',-39);
INSERT INTO `many` VALUES (118,'row-118x',-39.333333333);
INSERT INTO `many` VALUES (119,'row-119xx),(',-39.666666666);
INSERT INTO `many` VALUES (120,'row-120xxx',-40);
INSERT INTO `many` VALUES (121,'row-121xxxx\\',-40.333333333);
INSERT INTO `many` VALUES (122,'row-122xxxxx',-40.666666666);
INSERT INTO `many` VALUES (123,'row-123xxxxxx',-41);
INSERT INTO `many` VALUES (124,'row-124xxxxxxx',-41.333333333);
INSERT INTO `many` VALUES (125,'row-125xxxxxxxx',-41.666666666);
INSERT INTO `many` VALUES (126,'row-126xxxxxxxxx),(',-42);
INSERT INTO `many` VALUES (127,'row-127xxxxxxxxxx',-42.333333333);
INSERT INTO `many` VALUES (128,'row-128xxxxxxxxxxx',-42.666666666);
INSERT INTO `many` VALUES (129,'row-129xxxxxxxxxxxx',-43);
INSERT INTO `many` VALUES (130,'row-130',-43.333333333);
INSERT INTO `many` VALUES (131,'row-131x',-43.666666666);
INSERT INTO `many` VALUES (132,'row-132xx\\',-44);
INSERT INTO `many` VALUES (133,'row-133xxx),(',-44.333333333);
INSERT INTO `many` VALUES (134,'row-134xxxx',-44.666666666);
INSERT INTO `many` VALUES (135,'row-135xxxxx',-45);
INSERT INTO `many` VALUES (136,'row-136xxxxxx',-45.333333333);
INSERT INTO `many` VALUES (137,'row-137xxxxxxx',-45.666666666);
INSERT INTO `many` VALUES (138,'row-138xxxxxxxx',-46);
INSERT INTO `many` VALUES (139,'row-139xxxxxxxxx',-46.333333333);
INSERT INTO `many` VALUES (140,'row-140xxxxxxxxxx),(',-46.666666666);
INSERT INTO `many` VALUES (141,'row-141xxxxxxxxxxx',-47);
INSERT INTO `many` VALUES (142,'row-142xxxxxxxxxxxx',-47.333333333);
INSERT INTO `many` VALUES (143,'row-143\\',-47.666666666);
INSERT INTO `many` VALUES (144,'row-144x',-48);
INSERT INTO `many` VALUES (145,'row-145xx',-48.333333333);
INSERT INTO `many` VALUES (146,'row-146xxx',-48.666666666);
INSERT INTO `many` VALUES (147,'row-147xxxx),(',-49);
INSERT INTO `many` VALUES (148,'row-148xxxxx',-49.333333333);
INSERT INTO `many` VALUES (149,'row-149xxxxxx',-49.666666666);
INSERT INTO `many` VALUES (150,'row-150xxxxxxx',-50);
INSERT INTO `many` VALUES (151,'row-151xxxxxxxx',-50.333333333);
INSERT INTO `many` VALUES (152,'row-152xxxxxxxxx',-50.666666666);
INSERT INTO `many` VALUES (153,'row-153xxxxxxxxxx',-51);
INSERT INTO `many` VALUES (154,'row-154xxxxxxxxxxx),(\\',-51.333333333);
INSERT INTO `many` VALUES (155,'row-155xxxxxxxxxxxx',-51.666666666);
INSERT INTO `many` VALUES (156,'row-156',-52);
INSERT INTO `many` VALUES (157,'row-157x',-52.333333333);
INSERT INTO `many` VALUES (158,'row-158xx',-52.666666666);
INSERT INTO `many` VALUES (159,'row-159xxx',-53);
INSERT INTO `many` VALUES (160,'row-160xxxx',-53.333333333);
INSERT INTO `many` VALUES (161,'row-161xxxxx),(',-53.666666666);
INSERT INTO `many` VALUES (162,'row-162xxxxxx',-54);
INSERT INTO `many` VALUES (163,'row-163xxxxxxx',-54.333333333);
INSERT INTO `many` VALUES (164,'row-164xxxxxxxx',-54.666666666);
INSERT INTO `many` VALUES (165,'row-165xxxxxxxxx\\',-55);
INSERT INTO `many` VALUES (166,'row-166xxxxxxxxxx',-55.333333333);
INSERT INTO `many` VALUES (167,'row-167xxxxxxxxxxx',-55.666666666);
INSERT INTO `many` VALUES (168,'row-168xxxxxxxxxxxx),(',-56);
INSERT INTO `many` VALUES (169,'row-169',-56.333333333);
INSERT INTO `many` VALUES (170,'row-170x',-56.666666666);
INSERT INTO `many` VALUES (171,'row-171xx',-57);
INSERT INTO `many` VALUES (172,'row-172xxx',-57.333333333);
INSERT INTO `many` VALUES (173,'row-173xxxx',-57.666666666);
INSERT INTO `many` VALUES (174,'row-174xxxxx',-58);
INSERT INTO `many` VALUES (175,'row-175xxxxxx),(',-58.333333333);
INSERT INTO `many` VALUES (176,'row-176xxxxxxx\\',-58.666666666);
INSERT INTO `many` VALUES (177,'row-177xxxxxxxx',-59);
INSERT INTO `many` VALUES (178,'row-178xxxxxxxxx',-59.333333333);
INSERT INTO `many` VALUES (179,'row-179xxxxxxxxxx',-59.666666666);
INSERT INTO `many` VALUES (180,'row-180xxxxxxxxxxx',-60);
INSERT INTO `many` VALUES (181,'row-181xxxxxxxxxxxx',-60.333333333);
INSERT INTO `many` VALUES (182,'row-182),(',-60.666666666);
INSERT INTO `many` VALUES (183,'row-183x',-61);
INSERT INTO `many` VALUES (184,'row-184xx',-61.333333333);
INSERT INTO `many` VALUES (185,'row-185xxx',-61.666666666);
INSERT INTO `many` VALUES (186,'row-186xxxx',-62);
INSERT INTO `many` VALUES (187,'row-187xxxxx\\',-62.333333333);
INSERT INTO `many` VALUES (188,'row-188xxxxxx',-62.666666666);
INSERT INTO `many` VALUES (189,'row-189xxxxxxx),(',-63);
INSERT INTO `many` VALUES (190,'row-190xxxxxxxx',-63.333333333);
INSERT INTO `many` VALUES (191,'row-191xxxxxxxxx',-63.666666666);
INSERT INTO `many` VALUES (192,'row-192xxxxxxxxxx',-64);
INSERT INTO `many` VALUES (193,'row-193xxxxxxxxxxx',-64.333333333);
INSERT INTO `many` VALUES (194,'row-194xxxxxxxxxxxx',-64.666666666);
INSERT INTO `many` VALUES (195,'row-195',-65);
INSERT INTO `many` VALUES (196,'row-196x),(',-65.333333333);
INSERT INTO `many` VALUES (197,'row-197xx',-65.666666666);
INSERT INTO `many` VALUES (198,'row-198xxx\\',-66);
INSERT INTO `many` VALUES (199,'row-199xxxx',-66.333333333);
INSERT INTO `many` VALUES (200,'row-200xxxxx',-66.666666666);
INSERT INTO `many` VALUES (201,'row-201xxxxxx',-67);
INSERT INTO `many` VALUES (202,'row-202xxxxxxx',-67.333333333);
INSERT INTO `many` VALUES (203,'row-203xxxxxxxx),(',-67.666666666);
INSERT INTO `many` VALUES (204,'row-204xxxxxxxxx',-68);
INSERT INTO `many` VALUES (205,'row-205xxxxxxxxxx',-68.333333333);
INSERT INTO `many` VALUES (206,'row-206xxxxxxxxxxx',-68.666666666);
INSERT INTO `many` VALUES (207,'row-207xxxxxxxxxxxx',-69);
INSERT INTO `many` VALUES (208,'row-208',-69.333333333);
INSERT INTO `many` VALUES (209,'row-209x\\',-69.666666666);
INSERT INTO `many` VALUES (210,'row-210xx),(',-70);
INSERT INTO `many` VALUES (211,'row-211xxx',-70.333333333);
INSERT INTO `many` VALUES (212,'row-212xxxx',-70.666666666);
INSERT INTO `many` VALUES (213,'row-213xxxxx',-71);
INSERT INTO `many` VALUES (214,'row-214xxxxxx',-71.333333333);
INSERT INTO `many` VALUES (215,'row-215xxxxxxx',-71.666666666);
INSERT INTO `many` VALUES (216,'row-216xxxxxxxx',-72);
INSERT INTO `many` VALUES (217,'row-217xxxxxxxxx),(',-72.333333333);
INSERT INTO `many` VALUES (218,'row-218xxxxxxxxxx',-72.666666666);
INSERT INTO `many` VALUES (219,'row-219xxxxxxxxxxx',-73);
INSERT INTO `many` VALUES (220,'row-220xxxxxxxxxxxx\\',-73.333333333);
INSERT INTO `many` VALUES (221,'row-221',-73.666666666);
INSERT INTO `many` VALUES (222,'row-222x',-74);
INSERT INTO `many` VALUES (223,'row-223xx',-74.333333333);
INSERT INTO `many` VALUES (224,'row-224xxx),(',-74.666666666);
INSERT INTO `many` VALUES (225,'row-225xxxx',-75);
INSERT INTO `many` VALUES (226,'row-226xxxxx',-75.333333333);
INSERT INTO `many` VALUES (227,'row-227xxxxxx',-75.666666666);
INSERT INTO `many` VALUES (228,'row-228xxxxxxx',-76);
INSERT INTO `many` VALUES (229,'row-229xxxxxxxx',-76.333333333);
INSERT INTO `many` VALUES (230,'row-230xxxxxxxxx',-76.666666666);
INSERT INTO `many` VALUES (231,'row-231xxxxxxxxxx),(\\',-77);
INSERT INTO `many` VALUES (232,'row-232xxxxxxxxxxx',-77.333333333);
INSERT INTO `many` VALUES (233,'row-233xxxxxxxxxxxx',-77.666666666);
INSERT INTO `many` VALUES (234,'row-234',-78);
INSERT INTO `many` VALUES (235,'row-235x',-78.333333333);
INSERT INTO `many` VALUES (236,'row-236xx',-78.666666666);
INSERT INTO `many` VALUES (237,'row-237xxx',-79);
INSERT INTO `many` VALUES (238,'row-238xxxx),(',-79.333333333);
INSERT INTO `many` VALUES (239,'row-239xxxxx',-79.666666666);
INSERT INTO `many` VALUES (240,'row-240xxxxxx',-80);
INSERT INTO `many` VALUES (241,'row-241xxxxxxx',-80.333333333);
INSERT INTO `many` VALUES (242,'row-242xxxxxxxx\\',-80.666666666);
INSERT INTO `many` VALUES (243,'row-243xxxxxxxxx',-81);
INSERT INTO `many` VALUES (244,'row-244xxxxxxxxxx',-81.333333333);
INSERT INTO `many` VALUES (245,'row-245xxxxxxxxxxx),(',-81.666666666);
INSERT INTO `many` VALUES (246,'row-246xxxxxxxxxxxx',-82);
INSERT INTO `many` VALUES (247,'row-247',-82.333333333);
INSERT INTO `many` VALUES (248,'row-248x',-82.666666666);
INSERT INTO `many` VALUES (249,'row-249xx',-83);
INSERT INTO `many` VALUES (250,'row-250xxx',-83.333333333);
INSERT INTO `many` VALUES (251,'row-251xxxx',-83.666666666);
INSERT INTO `many` VALUES (252,'row-252xxxxx),(',-84);
INSERT INTO `many` VALUES (253,'row-253xxxxxx\\',-84.333333333);
INSERT INTO `many` VALUES (254,'row-254xxxxxxx',-84.666666666);
INSERT INTO `many` VALUES (255,'row-255xxxxxxxx',-85);
INSERT INTO `many` VALUES (256,'row-256xxxxxxxxx',-85.333333333);
INSERT INTO `many` VALUES (257,'row-257xxxxxxxxxx',-85.666666666);
INSERT INTO `many` VALUES (258,'row-258xxxxxxxxxxx',-86);
INSERT INTO `many` VALUES (259,'row-259xxxxxxxxxxxx),(',-86.333333333);
INSERT INTO `many` VALUES (260,'row-260',-86.666666666);
INSERT INTO `many` VALUES (261,'row-261x',-87);
INSERT INTO `many` VALUES (262,'row-262xx',-87.333333333);
INSERT INTO `many` VALUES (263,'row-263xxx',-87.666666666);
INSERT INTO `many` VALUES (264,'row-264xxxx\\',-88);
INSERT INTO `many` VALUES (265,'row-265xxxxx',-88.333333333);
INSERT INTO `many` VALUES (266,'row-266xxxxxx),(',-88.666666666);
INSERT INTO `many` VALUES (267,'row-267xxxxxxx',-89);
INSERT INTO `many` VALUES (268,'row-268xxxxxxxx',-89.333333333);
INSERT INTO `many` VALUES (269,'row-269xxxxxxxxx',-89.666666666);
INSERT INTO `many` VALUES (270,'row-270xxxxxxxxxx',-90);
INSERT INTO `many` VALUES (271,'row-271xxxxxxxxxxx',-90.333333333);
INSERT INTO `many` VALUES (272,'row-272xxxxxxxxxxxx',-90.666666666);
INSERT INTO `many` VALUES (273,'row-273),(',-91);
INSERT INTO `many` VALUES (274,'row-274x',-91.333333333);
INSERT INTO `many` VALUES (275,'row-275xx\\',-91.666666666);
INSERT INTO `many` VALUES (276,'row-276xxx',-92);
INSERT INTO `many` VALUES (277,'row-277xxxx',-92.333333333);
INSERT INTO `many` VALUES (278,'row-278xxxxx',-92.666666666);
INSERT INTO `many` VALUES (279,'row-279xxxxxx',-93);
INSERT INTO `many` VALUES (280,'row-280xxxxxxx),(',-93.333333333);
INSERT INTO `many` VALUES (281,'row-281xxxxxxxx',-93.666666666);
INSERT INTO `many` VALUES (282,'row-282xxxxxxxxx',-94);
INSERT INTO `many` VALUES (283,'row-283xxxxxxxxxx',-94.333333333);
INSERT INTO `many` VALUES (284,'row-284xxxxxxxxxxx',-94.666666666);
INSERT INTO `many` VALUES (285,'row-285xxxxxxxxxxxx',-95);
INSERT INTO `many` VALUES (286,'row-286\\',-95.333333333);
INSERT INTO `many` VALUES (287,'row-287x),(',-95.666666666);
INSERT INTO `many` VALUES (288,'row-288xx',-96);
INSERT INTO `many` VALUES (289,'row-289xxx',-96.333333333);
INSERT INTO `many` VALUES (290,'row-290xxxx',-96.666666666);
INSERT INTO `many` VALUES (291,'row-291xxxxx',-97);
INSERT INTO `many` VALUES (292,'row-292xxxxxx',-97.333333333);
INSERT INTO `many` VALUES (293,'row-293xxxxxxx',-97.666666666);
INSERT INTO `many` VALUES (294,'row-294xxxxxxxx),(',-98);
INSERT INTO `many` VALUES (295,'row-295xxxxxxxxx',-98.333333333);
INSERT INTO `many` VALUES (296,'row-296xxxxxxxxxx',-98.666666666);
INSERT INTO `many` VALUES (297,'row-297xxxxxxxxxxx\\',-99);
INSERT INTO `many` VALUES (298,'row-298xxxxxxxxxxxx',-99.333333333);
INSERT INTO `many` VALUES (299,'row-299',-99.666666666);
INSERT INTO `many` VALUES (300,'row-300x',-100);
INSERT INTO `many` VALUES (301,'row-301xx),(',-100.333333333);
INSERT INTO `many` VALUES (302,'row-302xxx',-100.666666666);
INSERT INTO `many` VALUES (303,'row-303xxxx',-101);
INSERT INTO `many` VALUES (304,'row-304xxxxx',-101.333333333);
INSERT INTO `many` VALUES (305,'row-305xxxxxx',-101.666666666);
INSERT INTO `many` VALUES (306,'row-306xxxxxxx',-102);
INSERT INTO `many` VALUES (307,'row-307xxxxxxxx',-102.333333333);
INSERT INTO `many` VALUES (308,'row-308xxxxxxxxx),(\\',-102.666666666);
INSERT INTO `many` VALUES (309,'row-309xxxxxxxxxx',-103);
INSERT INTO `many` VALUES (310,'row-310xxxxxxxxxxx',-103.333333333);
INSERT INTO `many` VALUES (311,'row-311xxxxxxxxxxxx',-103.666666666);
INSERT INTO `many` VALUES (312,'row-312',-104);
INSERT INTO `many` VALUES (313,'row-313x',-104.333333333);
INSERT INTO `many` VALUES (314,'row-314xx',-104.666666666);
INSERT INTO `many` VALUES (315,'row-315xxx),(',-105);
INSERT INTO `many` VALUES (316,'row-316xxxx',-105.333333333);
INSERT INTO `many` VALUES (317,'row-317xxxxx',-105.666666666);
INSERT INTO `many` VALUES (318,'row-318xxxxxx',-106);
INSERT INTO `many` VALUES (319,'row-319xxxxxxx\\',-106.333333333);
INSERT INTO `many` VALUES (320,'row-320xxxxxxxx',-106.666666666);
INSERT INTO `many` VALUES (321,'row-321xxxxxxxxx',-107);
INSERT INTO `many` VALUES (322,'row-322xxxxxxxxxx),(',-107.333333333);
INSERT INTO `many` VALUES (323,'row-323xxxxxxxxxxx',-107.666666666);
INSERT INTO `many` VALUES (324,'row-324xxxxxxxxxxxx',-108);
INSERT INTO `many` VALUES (325,'row-325',-108.333333333);
INSERT INTO `many` VALUES (326,'row-326x',-108.666666666);
INSERT INTO `many` VALUES (327,'row-327xx',-109);
INSERT INTO `many` VALUES (328,'row-328xxx',-109.333333333);
INSERT INTO `many` VALUES (329,'row-329xxxx),(',-109.666666666);
INSERT INTO `many` VALUES (330,'row-330xxxxx\\',-110);
INSERT INTO `many` VALUES (331,'row-331xxxxxx',-110.333333333);
INSERT INTO `many` VALUES (332,'row-332xxxxxxx',-110.666666666);
INSERT INTO `many` VALUES (333,'row-333xxxxxxxx',-111);
INSERT INTO `many` VALUES (334,'row-334xxxxxxxxx',-111.333333333);
INSERT INTO `many` VALUES (335,'row-335xxxxxxxxxx',-111.666666666);
INSERT INTO `many` VALUES (336,'row-336xxxxxxxxxxx),(',-112);
INSERT INTO `many` VALUES (337,'row-337xxxxxxxxxxxx',-112.333333333);
INSERT INTO `many` VALUES (338,'row-338',-112.666666666);
INSERT INTO `many` VALUES (339,'row-339x',-113);
INSERT INTO `many` VALUES (340,'row-340xx',-113.333333333);
INSERT INTO `many` VALUES (341,'row-341xxx\\',-113.666666666);
INSERT INTO `many` VALUES (342,'row-342xxxx',-114);
INSERT INTO `many` VALUES (343,'row-343xxxxx),(',-114.333333333);
INSERT INTO `many` VALUES (344,'row-344xxxxxx',-114.666666666);
INSERT INTO `many` VALUES (345,'row-345xxxxxxx',-115);
INSERT INTO `many` VALUES (346,'row-346xxxxxxxx',-115.333333333);
INSERT INTO `many` VALUES (347,'row-347xxxxxxxxx',-115.666666666);
INSERT INTO `many` VALUES (348,'row-348xxxxxxxxxx',-116);
INSERT INTO `many` VALUES (349,'row-349xxxxxxxxxxx',-116.333333333);
INSERT INTO `many` VALUES (350,'row-350xxxxxxxxxxxx),(',-116.666666666);
INSERT INTO `many` VALUES (351,'row-351',-117);
INSERT INTO `many` VALUES (352,'row-352x\\',-117.333333333);
INSERT INTO `many` VALUES (353,'row-353xx',-117.666666666);
INSERT INTO `many` VALUES (354,'row-354xxx',-118);
INSERT INTO `many` VALUES (355,'row-355xxxx',-118.333333333);
INSERT INTO `many` VALUES (356,'row-356xxxxx',-118.666666666);
INSERT INTO `many` VALUES (357,'row-357xxxxxx),(',-119);
INSERT INTO `many` VALUES (358,'row-358xxxxxxx',-119.333333333);
INSERT INTO `many` VALUES (359,'row-359xxxxxxxx',-119.666666666);
INSERT INTO `many` VALUES (360,'row-360xxxxxxxxx',-120);
INSERT INTO `many` VALUES (361,'row-361xxxxxxxxxx',-120.333333333);
INSERT INTO `many` VALUES (362,'row-362xxxxxxxxxxx',-120.666666666);
INSERT INTO `many` VALUES (363,'row-363xxxxxxxxxxxx\\',-121);
INSERT INTO `many` VALUES (364,'row-364),(',-121.333333333);
INSERT INTO `many` VALUES (365,'row-365x',-121.666666666);
INSERT INTO `many` VALUES (366,'row-366xx',-122);
INSERT INTO `many` VALUES (367,'row-367xxx',-122.333333333);
INSERT INTO `many` VALUES (368,'row-368xxxx',-122.666666666);
INSERT INTO `many` VALUES (369,'row-369xxxxx',-123);
INSERT INTO `many` VALUES (370,'row-370xxxxxx',-123.333333333);
INSERT INTO `many` VALUES (371,'row-371xxxxxxx),(',-123.666666666);
INSERT INTO `many` VALUES (372,'row-372xxxxxxxx',-124);
INSERT INTO `many` VALUES (373,'row-373xxxxxxxxx',-124.333333333);
INSERT INTO `many` VALUES (374,'row-374xxxxxxxxxx\\',-124.666666666);
INSERT INTO `many` VALUES (375,'row-375xxxxxxxxxxx',-125);
INSERT INTO `many` VALUES (376,'row-376xxxxxxxxxxxx',-125.333333333);
INSERT INTO `many` VALUES (377,'row-377',-125.666666666);
INSERT INTO `many` VALUES (378,'row-378x),(',-126);
INSERT INTO `many` VALUES (379,'row-379xx',-126.333333333);
INSERT INTO `many` VALUES (380,'row-380xxx',-126.666666666);
INSERT INTO `many` VALUES (381,'row-381xxxx',-127);
INSERT INTO `many` VALUES (382,'row-382xxxxx',-127.333333333);
INSERT INTO `many` VALUES (383,'row-383xxxxxx',-127.666666666);
INSERT INTO `many` VALUES (384,'row-384xxxxxxx',-128);
INSERT INTO `many` VALUES (385,'row-385xxxxxxxx),(\\',-128.333333333);
INSERT INTO `many` VALUES (386,'row-386xxxxxxxxx',-128.666666666);
INSERT INTO `many` VALUES (387,'row-387xxxxxxxxxx',-129);
INSERT INTO `many` VALUES (388,'row-388xxxxxxxxxxx',-129.333333333);
INSERT INTO `many` VALUES (389,'row-389xxxxxxxxxxxx',-129.666666666);
INSERT INTO `many` VALUES (390,'row-390',-130);
INSERT INTO `many` VALUES (391,'row-391x',-130.333333333);
INSERT INTO `many` VALUES (392,'row-392xx),(',-130.666666666);
INSERT INTO `many` VALUES (393,'row-393xxx',-131);
INSERT INTO `many` VALUES (394,'row-394xxxx',-131.333333333);
INSERT INTO `many` VALUES (395,'row-395xxxxx',-131.666666666);
INSERT INTO `many` VALUES (396,'row-396xxxxxx\\',-132);
INSERT INTO `many` VALUES (397,'row-397xxxxxxx',-132.333333333);
INSERT INTO `many` VALUES (398,'row-398xxxxxxxx',-132.666666666);
INSERT INTO `many` VALUES (399,'row-399xxxxxxxxx),(',-133);
INSERT INTO `many` VALUES (400,'row-400xxxxxxxxxx',-133.333333333);
INSERT INTO `many` VALUES (401,'row-401xxxxxxxxxxx',-133.666666666);
INSERT INTO `many` VALUES (402,'row-402xxxxxxxxxxxx',-134);
INSERT INTO `many` VALUES (403,'row-403',-134.333333333);
INSERT INTO `many` VALUES (404,'row-404x',-134.666666666);
INSERT INTO `many` VALUES (405,'row-405xx',-135);
INSERT INTO `many` VALUES (406,'row-406xxx),(',-135.333333333);
INSERT INTO `many` VALUES (407,'row-407xxxx\\',-135.666666666);
INSERT INTO `many` VALUES (408,'row-408xxxxx',-136);
INSERT INTO `many` VALUES (409,'row-409xxxxxx',-136.333333333);
INSERT INTO `many` VALUES (410,'row-410xxxxxxx',-136.666666666);
INSERT INTO `many` VALUES (411,'row-411xxxxxxxx',-137);
INSERT INTO `many` VALUES (412,'row-412xxxxxxxxx',-137.333333333);
INSERT INTO `many` VALUES (413,'row-413xxxxxxxxxx),(',-137.666666666);
INSERT INTO `many` VALUES (414,'row-414xxxxxxxxxxx',-138);
INSERT INTO `many` VALUES (415,'row-415xxxxxxxxxxxx',-138.333333333);
INSERT INTO `many` VALUES (416,'row-416',-138.666666666);
INSERT INTO `many` VALUES (417,'row-417x',-139);
INSERT INTO `many` VALUES (418,'row-418xx\\',-139.333333333);
INSERT INTO `many` VALUES (419,'row-419xxx',-139.666666666);
INSERT INTO `many` VALUES (420,'row-420xxxx),(',-140);
INSERT INTO `many` VALUES (421,'row-421xxxxx',-140.333333333);
INSERT INTO `many` VALUES (422,'row-422xxxxxx',-140.666666666);
INSERT INTO `many` VALUES (423,'row-423xxxxxxx',-141);
INSERT INTO `many` VALUES (424,'row-424xxxxxxxx',-141.333333333);
INSERT INTO `many` VALUES (425,'row-425xxxxxxxxx',-141.666666666);
INSERT INTO `many` VALUES (426,'row-426xxxxxxxxxx',-142);
INSERT INTO `many` VALUES (427,'row-427xxxxxxxxxxx),(',-142.333333333);
INSERT INTO `many` VALUES (428,'row-428xxxxxxxxxxxx',-142.666666666);
INSERT INTO `many` VALUES (429,'row-429\\',-143);
INSERT INTO `many` VALUES (430,'row-430x',-143.333333333);
INSERT INTO `many` VALUES (431,'row-431xx',-143.666666666);
INSERT INTO `many` VALUES (432,'row-432xxx',-144);
INSERT INTO `many` VALUES (433,'row-433xxxx',-144.333333333);
INSERT INTO `many` VALUES (434,'row-434xxxxx),(',-144.666666666);
INSERT INTO `many` VALUES (435,'row-435xxxxxx',-145);
INSERT INTO `many` VALUES (436,'row-436xxxxxxx',-145.333333333);
INSERT INTO `many` VALUES (437,'row-437xxxxxxxx',-145.666666666);
INSERT INTO `many` VALUES (438,'row-438xxxxxxxxx',-146);
INSERT INTO `many` VALUES (439,'row-439xxxxxxxxxx',-146.333333333);
INSERT INTO `many` VALUES (440,'row-440xxxxxxxxxxx\\',-146.666666666);
INSERT INTO `many` VALUES (441,'row-441xxxxxxxxxxxx),(',-147);
INSERT INTO `many` VALUES (442,'row-442',-147.333333333);
INSERT INTO `many` VALUES (443,'row-443x',-147.666666666);
INSERT INTO `many` VALUES (444,'row-444xx',-148);
INSERT INTO `many` VALUES (445,'row-445xxx',-148.333333333);
INSERT INTO `many` VALUES (446,'row-446xxxx',-148.666666666);
INSERT INTO `many` VALUES (447,'row-447xxxxx',-149);
INSERT INTO `many` VALUES (448,'row-448xxxxxx),(',-149.333333333);
INSERT INTO `many` VALUES (449,'row-449xxxxxxx',-149.666666666);
INSERT INTO `many` VALUES (450,'row-450xxxxxxxx',-150);
INSERT INTO `many` VALUES (451,'row-451xxxxxxxxx\\',-150.333333333);
INSERT INTO `many` VALUES (452,'row-452xxxxxxxxxx',-150.666666666);
INSERT INTO `many` VALUES (453,'row-453xxxxxxxxxxx',-151);
INSERT INTO `many` VALUES (454,'row-454xxxxxxxxxxxx',-151.333333333);
INSERT INTO `many` VALUES (455,'row-455),(',-151.666666666);
INSERT INTO `many` VALUES (456,'row-456x',-152);
INSERT INTO `many` VALUES (457,'row-457xx',-152.333333333);
INSERT INTO `many` VALUES (458,'row-458xxx',-152.666666666);
INSERT INTO `many` VALUES (459,'row-459xxxx',-153);
INSERT INTO `many` VALUES (460,'row-460xxxxx',-153.333333333);
INSERT INTO `many` VALUES (461,'row-461xxxxxx',-153.666666666);
INSERT INTO `many` VALUES (462,'row-462xxxxxxx),(\\',-154);
INSERT INTO `many` VALUES (463,'row-463xxxxxxxx',-154.333333333);
INSERT INTO `many` VALUES (464,'row-464xxxxxxxxx',-154.666666666);
INSERT INTO `many` VALUES (465,'row-465xxxxxxxxxx',-155);
INSERT INTO `many` VALUES (466,'row-466xxxxxxxxxxx',-155.333333333);
INSERT INTO `many` VALUES (467,'row-467xxxxxxxxxxxx',-155.666666666);
INSERT INTO `many` VALUES (468,'row-468',-156);
INSERT INTO `many` VALUES (469,'row-469x),(',-156.333333333);
INSERT INTO `many` VALUES (470,'row-470xx',-156.666666666);
INSERT INTO `many` VALUES (471,'row-471xxx',-157);
INSERT INTO `many` VALUES (472,'row-472xxxx',-157.333333333);
INSERT INTO `many` VALUES (473,'row-473xxxxx\\',-157.666666666);
INSERT INTO `many` VALUES (474,'row-474xxxxxx',-158);
INSERT INTO `many` VALUES (475,'row-475xxxxxxx',-158.333333333);
INSERT INTO `many` VALUES (476,'row-476xxxxxxxx),(',-158.666666666);
INSERT INTO `many` VALUES (477,'row-477xxxxxxxxx',-159);
INSERT INTO `many` VALUES (478,'row-478xxxxxxxxxx',-159.333333333);
INSERT INTO `many` VALUES (479,'row-479xxxxxxxxxxx',-159.666666666);
INSERT INTO `many` VALUES (480,'row-480xxxxxxxxxxxx',-160);
INSERT INTO `many` VALUES (481,'row-481',-160.333333333);
INSERT INTO `many` VALUES (482,'row-482x',-160.666666666);
INSERT INTO `many` VALUES (483,'row-483xx),(',-161);
INSERT INTO `many` VALUES (484,'row-484xxx\\',-161.333333333);
INSERT INTO `many` VALUES (485,'row-485xxxx',-161.666666666);
INSERT INTO `many` VALUES (486,'row-486xxxxx',-162);
INSERT INTO `many` VALUES (487,'row-487xxxxxx',-162.333333333);
INSERT INTO `many` VALUES (488,'row-488xxxxxxx',-162.666666666);
INSERT INTO `many` VALUES (489,'row-489xxxxxxxx',-163);
INSERT INTO `many` VALUES (490,'row-490xxxxxxxxx),(',-163.333333333);
INSERT INTO `many` VALUES (491,'row-491xxxxxxxxxx',-163.666666666);
INSERT INTO `many` VALUES (492,'row-492xxxxxxxxxxx',-164);
INSERT INTO `many` VALUES (493,'row-493xxxxxxxxxxxx',-164.333333333);
INSERT INTO `many` VALUES (494,'row-494',-164.666666666);
INSERT INTO `many` VALUES (495,'row-495x\\',-165);
INSERT INTO `many` VALUES (496,'row-496xx',-165.333333333);
INSERT INTO `many` VALUES (497,'row-497xxx),(',-165.666666666);
INSERT INTO `many` VALUES (498,'row-498xxxx',-166);
INSERT INTO `many` VALUES (499,'row-499xxxxx',-166.333333333);
INSERT INTO `many` VALUES (500,'row-500xxxxxx',-166.666666666);
/*!40000 ALTER TABLE `many` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Temporary table structure for view `v_blobs`
--

DROP TABLE IF EXISTS `v_blobs`;
/*!50001 DROP VIEW IF EXISTS `v_blobs`*/;
SET @saved_cs_client     = @@character_set_client;
SET character_set_client = utf8mb4;
/*!50001 CREATE VIEW `v_blobs` AS SELECT
 NULL AS `id`,
 NULL AS `s` */;
SET character_set_client = @saved_cs_client;

--
-- Table structure for table `we``ird ; name`
--

DROP TABLE IF EXISTS `we``ird ; name`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `we``ird ; name` (
  `col ( x` int(11) DEFAULT NULL,
  `g` point DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `we``ird ; name`
--

LOCK TABLES `we``ird ; name` WRITE;
/*!40000 ALTER TABLE `we``ird ; name` DISABLE KEYS */;
INSERT INTO `we``ird ; name` VALUES (1,'\0\0\0\0\0\0\0\0\0\0\0\0\0ð?\0\0\0\0\0\0\0@');
INSERT INTO `we``ird ; name` VALUES (2,'\0\0\0\0\0\0\0\0\0\0\0\0\0@\0\0\0\0\0\0@');
INSERT INTO `we``ird ; name` VALUES (3,NULL);
/*!40000 ALTER TABLE `we``ird ; name` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Dumping routines for database 'sqldump_fx'
--
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;
/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION' */ ;
/*!50003 DROP FUNCTION IF EXISTS `f_add` */;
/*!50003 SET @saved_cs_client      = @@character_set_client */ ;
/*!50003 SET @saved_cs_results     = @@character_set_results */ ;
/*!50003 SET @saved_col_connection = @@collation_connection */ ;
/*!50003 SET character_set_client  = utf8mb3 */ ;
/*!50003 SET character_set_results = utf8mb3 */ ;
/*!50003 SET collation_connection  = utf8mb3_general_ci */ ;
DELIMITER ;;
CREATE DEFINER=`root`@`127.0.0.1` FUNCTION `f_add`(a INT, b INT) RETURNS int(11)
    DETERMINISTIC
BEGIN
  DECLARE r INT;
  SET r = a + b; 
  RETURN r;
END
;;
DELIMITER ;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;
/*!50003 SET character_set_client  = @saved_cs_client */ ;
/*!50003 SET character_set_results = @saved_cs_results */ ;
/*!50003 SET collation_connection  = @saved_col_connection */ ;
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;
/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION' */ ;
/*!50003 DROP PROCEDURE IF EXISTS `p_count` */;
/*!50003 SET @saved_cs_client      = @@character_set_client */ ;
/*!50003 SET @saved_cs_results     = @@character_set_results */ ;
/*!50003 SET @saved_col_connection = @@collation_connection */ ;
/*!50003 SET character_set_client  = utf8mb3 */ ;
/*!50003 SET character_set_results = utf8mb3 */ ;
/*!50003 SET collation_connection  = utf8mb3_general_ci */ ;
DELIMITER ;;
CREATE DEFINER=`root`@`127.0.0.1` PROCEDURE `p_count`(IN lim INT, OUT c INT)
BEGIN
  
  SELECT COUNT(*) INTO c FROM blobs WHERE id < lim;
  SELECT 'a;b' AS q;
END
;;
DELIMITER ;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;
/*!50003 SET character_set_client  = @saved_cs_client */ ;
/*!50003 SET character_set_results = @saved_cs_results */ ;
/*!50003 SET collation_connection  = @saved_col_connection */ ;

--
-- Final view structure for view `v_blobs`
--

/*!50001 DROP VIEW IF EXISTS `v_blobs`*/;
/*!50001 SET @saved_cs_client          = @@character_set_client */;
/*!50001 SET @saved_cs_results         = @@character_set_results */;
/*!50001 SET @saved_col_connection     = @@collation_connection */;
/*!50001 SET character_set_client      = utf8mb3 */;
/*!50001 SET character_set_results     = utf8mb3 */;
/*!50001 SET collation_connection      = utf8mb3_general_ci */;
/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=`root`@`127.0.0.1` SQL SECURITY DEFINER */
/*!50001 VIEW `v_blobs` AS select `blobs`.`id` AS `id`,`blobs`.`s` AS `s` from `blobs` where `blobs`.`s` <> ';' */;
/*!50001 SET character_set_client      = @saved_cs_client */;
/*!50001 SET character_set_results     = @saved_cs_results */;
/*!50001 SET collation_connection      = @saved_col_connection */;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed
