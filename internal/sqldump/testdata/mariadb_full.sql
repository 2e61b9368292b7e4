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
-- Current Database: `sqldump_fx`
--

CREATE DATABASE /*!32312 IF NOT EXISTS*/ `sqldump_fx` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci */;

USE `sqldump_fx`;

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
INSERT INTO `blobs` VALUES
(1,'\0','plain',NULL),
(2,'\0\0ÿ','it\'s (a) \\ test\nline; with -- dashes /* not comment */ # hash','x'),
(3,'\'\"\\\n\r\Z\0','\"double\" `back` ;;',');(,'),
(4,'a\0b','), (','\'),(\''),
(5,'ÿþý€','tab	here\r\n','Ã¼nÃ¯cÃ¶dÃ©'),
(6,'','',''),
(7,'\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0','))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))','((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((');
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
INSERT INTO `log_t` VALUES
(1,'pre',0),
(2,'pre2',1);
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
INSERT INTO `many` VALUES
(1,'row-1x',-0.333333333),
(2,'row-2xx',-0.666666666),
(3,'row-3xxx',-1),
(4,'row-4xxxx',-1.333333333),
(5,'row-5xxxxx',-1.666666666),
(6,'row-6xxxxxx',-2),
(7,'row-7xxxxxxx),(',-2.333333333),
(8,'row-8xxxxxxxx',-2.666666666),
(9,'row-9xxxxxxxxx',-3),
(10,'row-10xxxxxxxxxx',-3.333333333),
(11,'row-11xxxxxxxxxxx\\',-3.666666666),
(12,'row-12xxxxxxxxxxxx',-4),
(13,'row-13',-4.333333333),
(14,'row-14x),(',-4.666666666),
(15,'row-15xx',-5),
(16,'row-16xxx',-5.333333333),
(17,'row-17xxxx',-5.666666666),
(18,'row-18xxxxx',-6),
(19,'row-19xxxxxx',-6.333333333),
(20,'row-20xxxxxxx',-6.666666666),
(21,'row-21xxxxxxxx),(',-7),
(22,'row-22xxxxxxxxx\\',-7.333333333),
(23,'row-23xxxxxxxxxx',-7.666666666),
(24,'row-24xxxxxxxxxxx',-8),
(25,'row-25xxxxxxxxxxxx',-8.333333333),
(26,'row-26',-8.666666666),
(27,'row-27x',-9),
(28,'row-28xx),(',-9.333333333),
(29,'row-29xxx',-9.666666666),
(30,'row-30xxxx',-10),
(31,'row-31xxxxx',-10.333333333),
(32,'row-32xxxxxx',-10.666666666),
(33,'row-33xxxxxxx\\',-11),
(34,'row-34xxxxxxxx',-11.333333333),
(35,'row-35xxxxxxxxx),(',-11.666666666),
(36,'row-36xxxxxxxxxx',-12),
(37,'row-37xxxxxxxxxxx',-12.333333333),
(38,'row-38xxxxxxxxxxxx',-12.666666666),
(39,'row-39',-13),
(40,'row-40x',-13.333333333),
(41,'row-41xx',-13.666666666),
(42,'row-42xxx),(',-14),
(43,'row-43xxxx',-14.333333333),
(44,'row-44xxxxx\\',-14.666666666),
(45,'row-45xxxxxx',-15),
(46,'row-46xxxxxxx',-15.333333333),
(47,'row-47xxxxxxxx',-15.666666666),
(48,'row-48xxxxxxxxx',-16),
(49,'row-49xxxxxxxxxx),(',-16.333333333),
(50,'row-50xxxxxxxxxxx',-16.666666666),
(51,'row-51xxxxxxxxxxxx',-17),
(52,'row-52',-17.333333333),
(53,'row-53x',-17.666666666),
(54,'row-54xx',-18),
(55,'row-55xxx\\',-18.333333333),
(56,'row-56xxxx),(',-18.666666666),
(57,'row-57xxxxx',-19),
(58,'row-58xxxxxx',-19.333333333),
(59,'row-59xxxxxxx',-19.666666666),
(60,'row-60xxxxxxxx',-20),
(61,'row-61xxxxxxxxx',-20.333333333),
(62,'row-62xxxxxxxxxx',-20.666666666),
(63,'row-63xxxxxxxxxxx),(',-21),
(64,'row-64xxxxxxxxxxxx',-21.333333333),
(65,'row-65',-21.666666666),
(66,'row-66x\\',-22),
(67,'row-67xx',-22.333333333),
(68,'row-68xxx',-22.666666666),
(69,'row-69xxxx',-23),
(70,'row-70xxxxx),(',-23.333333333),
(71,'row-71xxxxxx',-23.666666666),
(72,'row-72xxxxxxx',-24),
(73,'row-73xxxxxxxx',-24.333333333),
(74,'row-74xxxxxxxxx',-24.666666666),
(75,'row-75xxxxxxxxxx',-25),
(76,'row-76xxxxxxxxxxx',-25.333333333),
(77,'row-77xxxxxxxxxxxx),(\\',-25.666666666),
(78,'row-78',-26),
(79,'row-79x',-26.333333333),
(80,'row-80xx',-26.666666666),
(81,'row-81xxx',-27),
(82,'row-82xxxx',-27.333333333),
(83,'row-83xxxxx',-27.666666666),
(84,'row-84xxxxxx),(',-28),
(85,'row-85xxxxxxx',-28.333333333),
(86,'row-86xxxxxxxx',-28.666666666),
(87,'row-87xxxxxxxxx',-29),
(88,'row-88xxxxxxxxxx\\',-29.333333333),
(89,'row-89xxxxxxxxxxx',-29.666666666),
(90,'row-90xxxxxxxxxxxx',-30),
(91,'row-91),(',-30.333333333),
(92,'row-92x',-30.666666666),
(93,'row-93xx',-31),
(94,'row-94xxx',-31.333333333),
(95,'row-95xxxx',-31.666666666),
(96,'row-96xxxxx',-32),
(97,'row-97xxxxxx',-32.333333333),
(98,'row-98xxxxxxx),(',-32.666666666),
(99,'row-99xxxxxxxx\\',-33),
(100,'row-100xxxxxxxxx',-33.333333333),
(101,'row-101xxxxxxxxxx',-33.666666666),
(102,'row-102xxxxxxxxxxx',-34),
(103,'row-103xxxxxxxxxxxx',-34.333333333),
(104,'row-104',-34.666666666),
(105,'row-105x),(',-35),
(106,'row-106xx',-35.333333333),
(107,'row-107xxx',-35.666666666),
(108,'row-108xxxx',-36),
(109,'row-109xxxxx',-36.333333333),
(110,'row-110xxxxxx\\',-36.666666666),
(111,'row-111xxxxxxx',-37),
(112,'row-112xxxxxxxx),(',-37.333333333),
(113,'row-113xxxxxxxxx',-37.666666666),
(114,'row-114xxxxxxxxxx',-38),
(115,'row-115xxxxxxxxxxx',-38.333333333),
(116,'row-116xxxxxxxxxxxx',-38.666666666),
(117,'row-117',-39),
(118,'row-118x',-39.333333333),
(119,'row-119xx),(',-39.666666666),
(120,'row-120xxx',-40),
(121,'row-121xxxx\\',-40.333333333),
(122,'row-122xxxxx',-40.666666666),
(123,'row-123xxxxxx',-41),
(124,'row-124xxxxxxx',-41.333333333),
(125,'row-125xxxxxxxx',-41.666666666),
(126,'row-126xxxxxxxxx),(',-42);
INSERT INTO `many` VALUES
(127,'row-127xxxxxxxxxx',-42.333333333),
(128,'row-128xxxxxxxxxxx',-42.666666666),
(129,'row-129xxxxxxxxxxxx',-43),
(130,'row-130',-43.333333333),
(131,'row-131x',-43.666666666),
(132,'row-132xx\\',-44),
(133,'row-133xxx),(',-44.333333333),
(134,'row-134xxxx',-44.666666666),
(135,'row-135xxxxx',-45),
(136,'row-136xxxxxx',-45.333333333),
(137,'row-137xxxxxxx',-45.666666666),
(138,'row-138xxxxxxxx',-46),
(139,'row-139xxxxxxxxx',-46.333333333),
(140,'row-140xxxxxxxxxx),(',-46.666666666),
(141,'row-141xxxxxxxxxxx',-47),
(142,'row-142xxxxxxxxxxxx',-47.333333333),
(143,'row-143\\',-47.666666666),
(144,'row-144x',-48),
(145,'row-145xx',-48.333333333),
(146,'row-146xxx',-48.666666666),
(147,'row-147xxxx),(',-49),
(148,'row-148xxxxx',-49.333333333),
(149,'row-149xxxxxx',-49.666666666),
(150,'row-150xxxxxxx',-50),
(151,'row-151xxxxxxxx',-50.333333333),
(152,'row-152xxxxxxxxx',-50.666666666),
(153,'row-153xxxxxxxxxx',-51),
(154,'row-154xxxxxxxxxxx),(\\',-51.333333333),
(155,'row-155xxxxxxxxxxxx',-51.666666666),
(156,'row-156',-52),
(157,'row-157x',-52.333333333),
(158,'row-158xx',-52.666666666),
(159,'row-159xxx',-53),
(160,'row-160xxxx',-53.333333333),
(161,'row-161xxxxx),(',-53.666666666),
(162,'row-162xxxxxx',-54),
(163,'row-163xxxxxxx',-54.333333333),
(164,'row-164xxxxxxxx',-54.666666666),
(165,'row-165xxxxxxxxx\\',-55),
(166,'row-166xxxxxxxxxx',-55.333333333),
(167,'row-167xxxxxxxxxxx',-55.666666666),
(168,'row-168xxxxxxxxxxxx),(',-56),
(169,'row-169',-56.333333333),
(170,'row-170x',-56.666666666),
(171,'row-171xx',-57),
(172,'row-172xxx',-57.333333333),
(173,'row-173xxxx',-57.666666666),
(174,'row-174xxxxx',-58),
(175,'row-175xxxxxx),(',-58.333333333),
(176,'row-176xxxxxxx\\',-58.666666666),
(177,'row-177xxxxxxxx',-59),
(178,'row-178xxxxxxxxx',-59.333333333),
(179,'row-179xxxxxxxxxx',-59.666666666),
(180,'row-180xxxxxxxxxxx',-60),
(181,'row-181xxxxxxxxxxxx',-60.333333333),
(182,'row-182),(',-60.666666666),
(183,'row-183x',-61),
(184,'row-184xx',-61.333333333),
(185,'row-185xxx',-61.666666666),
(186,'row-186xxxx',-62),
(187,'row-187xxxxx\\',-62.333333333),
(188,'row-188xxxxxx',-62.666666666),
(189,'row-189xxxxxxx),(',-63),
(190,'row-190xxxxxxxx',-63.333333333),
(191,'row-191xxxxxxxxx',-63.666666666),
(192,'row-192xxxxxxxxxx',-64),
(193,'row-193xxxxxxxxxxx',-64.333333333),
(194,'row-194xxxxxxxxxxxx',-64.666666666),
(195,'row-195',-65),
(196,'row-196x),(',-65.333333333),
(197,'row-197xx',-65.666666666),
(198,'row-198xxx\\',-66),
(199,'row-199xxxx',-66.333333333),
(200,'row-200xxxxx',-66.666666666),
(201,'row-201xxxxxx',-67),
(202,'row-202xxxxxxx',-67.333333333),
(203,'row-203xxxxxxxx),(',-67.666666666),
(204,'row-204xxxxxxxxx',-68),
(205,'row-205xxxxxxxxxx',-68.333333333),
(206,'row-206xxxxxxxxxxx',-68.666666666),
(207,'row-207xxxxxxxxxxxx',-69),
(208,'row-208',-69.333333333),
(209,'row-209x\\',-69.666666666),
(210,'row-210xx),(',-70),
(211,'row-211xxx',-70.333333333),
(212,'row-212xxxx',-70.666666666),
(213,'row-213xxxxx',-71),
(214,'row-214xxxxxx',-71.333333333),
(215,'row-215xxxxxxx',-71.666666666),
(216,'row-216xxxxxxxx',-72),
(217,'row-217xxxxxxxxx),(',-72.333333333),
(218,'row-218xxxxxxxxxx',-72.666666666),
(219,'row-219xxxxxxxxxxx',-73),
(220,'row-220xxxxxxxxxxxx\\',-73.333333333),
(221,'row-221',-73.666666666),
(222,'row-222x',-74),
(223,'row-223xx',-74.333333333),
(224,'row-224xxx),(',-74.666666666),
(225,'row-225xxxx',-75),
(226,'row-226xxxxx',-75.333333333),
(227,'row-227xxxxxx',-75.666666666),
(228,'row-228xxxxxxx',-76),
(229,'row-229xxxxxxxx',-76.333333333),
(230,'row-230xxxxxxxxx',-76.666666666),
(231,'row-231xxxxxxxxxx),(\\',-77),
(232,'row-232xxxxxxxxxxx',-77.333333333),
(233,'row-233xxxxxxxxxxxx',-77.666666666),
(234,'row-234',-78),
(235,'row-235x',-78.333333333),
(236,'row-236xx',-78.666666666),
(237,'row-237xxx',-79),
(238,'row-238xxxx),(',-79.333333333),
(239,'row-239xxxxx',-79.666666666),
(240,'row-240xxxxxx',-80),
(241,'row-241xxxxxxx',-80.333333333),
(242,'row-242xxxxxxxx\\',-80.666666666),
(243,'row-243xxxxxxxxx',-81),
(244,'row-244xxxxxxxxxx',-81.333333333);
INSERT INTO `many` VALUES
(245,'row-245xxxxxxxxxxx),(',-81.666666666),
(246,'row-246xxxxxxxxxxxx',-82),
(247,'row-247',-82.333333333),
(248,'row-248x',-82.666666666),
(249,'row-249xx',-83),
(250,'row-250xxx',-83.333333333),
(251,'row-251xxxx',-83.666666666),
(252,'row-252xxxxx),(',-84),
(253,'row-253xxxxxx\\',-84.333333333),
(254,'row-254xxxxxxx',-84.666666666),
(255,'row-255xxxxxxxx',-85),
(256,'row-256xxxxxxxxx',-85.333333333),
(257,'row-257xxxxxxxxxx',-85.666666666),
(258,'row-258xxxxxxxxxxx',-86),
(259,'row-259xxxxxxxxxxxx),(',-86.333333333),
(260,'row-260',-86.666666666),
(261,'row-261x',-87),
(262,'row-262xx',-87.333333333),
(263,'row-263xxx',-87.666666666),
(264,'row-264xxxx\\',-88),
(265,'row-265xxxxx',-88.333333333),
(266,'row-266xxxxxx),(',-88.666666666),
(267,'row-267xxxxxxx',-89),
(268,'row-268xxxxxxxx',-89.333333333),
(269,'row-269xxxxxxxxx',-89.666666666),
(270,'row-270xxxxxxxxxx',-90),
(271,'row-271xxxxxxxxxxx',-90.333333333),
(272,'row-272xxxxxxxxxxxx',-90.666666666),
(273,'row-273),(',-91),
(274,'row-274x',-91.333333333),
(275,'row-275xx\\',-91.666666666),
(276,'row-276xxx',-92),
(277,'row-277xxxx',-92.333333333),
(278,'row-278xxxxx',-92.666666666),
(279,'row-279xxxxxx',-93),
(280,'row-280xxxxxxx),(',-93.333333333),
(281,'row-281xxxxxxxx',-93.666666666),
(282,'row-282xxxxxxxxx',-94),
(283,'row-283xxxxxxxxxx',-94.333333333),
(284,'row-284xxxxxxxxxxx',-94.666666666),
(285,'row-285xxxxxxxxxxxx',-95),
(286,'row-286\\',-95.333333333),
(287,'row-287x),(',-95.666666666),
(288,'row-288xx',-96),
(289,'row-289xxx',-96.333333333),
(290,'row-290xxxx',-96.666666666),
(291,'row-291xxxxx',-97),
(292,'row-292xxxxxx',-97.333333333),
(293,'row-293xxxxxxx',-97.666666666),
(294,'row-294xxxxxxxx),(',-98),
(295,'row-295xxxxxxxxx',-98.333333333),
(296,'row-296xxxxxxxxxx',-98.666666666),
(297,'row-297xxxxxxxxxxx\\',-99),
(298,'row-298xxxxxxxxxxxx',-99.333333333),
(299,'row-299',-99.666666666),
(300,'row-300x',-100),
(301,'row-301xx),(',-100.333333333),
(302,'row-302xxx',-100.666666666),
(303,'row-303xxxx',-101),
(304,'row-304xxxxx',-101.333333333),
(305,'row-305xxxxxx',-101.666666666),
(306,'row-306xxxxxxx',-102),
(307,'row-307xxxxxxxx',-102.333333333),
(308,'row-308xxxxxxxxx),(\\',-102.666666666),
(309,'row-309xxxxxxxxxx',-103),
(310,'row-310xxxxxxxxxxx',-103.333333333),
(311,'row-311xxxxxxxxxxxx',-103.666666666),
(312,'row-312',-104),
(313,'row-313x',-104.333333333),
(314,'row-314xx',-104.666666666),
(315,'row-315xxx),(',-105),
(316,'row-316xxxx',-105.333333333),
(317,'row-317xxxxx',-105.666666666),
(318,'row-318xxxxxx',-106),
(319,'row-319xxxxxxx\\',-106.333333333),
(320,'row-320xxxxxxxx',-106.666666666),
(321,'row-321xxxxxxxxx',-107),
(322,'row-322xxxxxxxxxx),(',-107.333333333),
(323,'row-323xxxxxxxxxxx',-107.666666666),
(324,'row-324xxxxxxxxxxxx',-108),
(325,'row-325',-108.333333333),
(326,'row-326x',-108.666666666),
(327,'row-327xx',-109),
(328,'row-328xxx',-109.333333333),
(329,'row-329xxxx),(',-109.666666666),
(330,'row-330xxxxx\\',-110),
(331,'row-331xxxxxx',-110.333333333),
(332,'row-332xxxxxxx',-110.666666666),
(333,'row-333xxxxxxxx',-111),
(334,'row-334xxxxxxxxx',-111.333333333),
(335,'row-335xxxxxxxxxx',-111.666666666),
(336,'row-336xxxxxxxxxxx),(',-112),
(337,'row-337xxxxxxxxxxxx',-112.333333333),
(338,'row-338',-112.666666666),
(339,'row-339x',-113),
(340,'row-340xx',-113.333333333),
(341,'row-341xxx\\',-113.666666666),
(342,'row-342xxxx',-114),
(343,'row-343xxxxx),(',-114.333333333),
(344,'row-344xxxxxx',-114.666666666),
(345,'row-345xxxxxxx',-115),
(346,'row-346xxxxxxxx',-115.333333333),
(347,'row-347xxxxxxxxx',-115.666666666),
(348,'row-348xxxxxxxxxx',-116),
(349,'row-349xxxxxxxxxxx',-116.333333333),
(350,'row-350xxxxxxxxxxxx),(',-116.666666666),
(351,'row-351',-117),
(352,'row-352x\\',-117.333333333),
(353,'row-353xx',-117.666666666),
(354,'row-354xxx',-118),
(355,'row-355xxxx',-118.333333333),
(356,'row-356xxxxx',-118.666666666),
(357,'row-357xxxxxx),(',-119),
(358,'row-358xxxxxxx',-119.333333333),
(359,'row-359xxxxxxxx',-119.666666666),
(360,'row-360xxxxxxxxx',-120);
INSERT INTO `many` VALUES
(361,'row-361xxxxxxxxxx',-120.333333333),
(362,'row-362xxxxxxxxxxx',-120.666666666),
(363,'row-363xxxxxxxxxxxx\\',-121),
(364,'row-364),(',-121.333333333),
(365,'row-365x',-121.666666666),
(366,'row-366xx',-122),
(367,'row-367xxx',-122.333333333),
(368,'row-368xxxx',-122.666666666),
(369,'row-369xxxxx',-123),
(370,'row-370xxxxxx',-123.333333333),
(371,'row-371xxxxxxx),(',-123.666666666),
(372,'row-372xxxxxxxx',-124),
(373,'row-373xxxxxxxxx',-124.333333333),
(374,'row-374xxxxxxxxxx\\',-124.666666666),
(375,'row-375xxxxxxxxxxx',-125),
(376,'row-376xxxxxxxxxxxx',-125.333333333),
(377,'row-377',-125.666666666),
(378,'row-378x),(',-126),
(379,'row-379xx',-126.333333333),
(380,'row-380xxx',-126.666666666),
(381,'row-381xxxx',-127),
(382,'row-382xxxxx',-127.333333333),
(383,'row-383xxxxxx',-127.666666666),
(384,'row-384xxxxxxx',-128),
(385,'row-385xxxxxxxx),(\\',-128.333333333),
(386,'row-386xxxxxxxxx',-128.666666666),
(387,'row-387xxxxxxxxxx',-129),
(388,'row-388xxxxxxxxxxx',-129.333333333),
(389,'row-389xxxxxxxxxxxx',-129.666666666),
(390,'row-390',-130),
(391,'row-391x',-130.333333333),
(392,'row-392xx),(',-130.666666666),
(393,'row-393xxx',-131),
(394,'row-394xxxx',-131.333333333),
(395,'row-395xxxxx',-131.666666666),
(396,'row-396xxxxxx\\',-132),
(397,'row-397xxxxxxx',-132.333333333),
(398,'row-398xxxxxxxx',-132.666666666),
(399,'row-399xxxxxxxxx),(',-133),
(400,'row-400xxxxxxxxxx',-133.333333333),
(401,'row-401xxxxxxxxxxx',-133.666666666),
(402,'row-402xxxxxxxxxxxx',-134),
(403,'row-403',-134.333333333),
(404,'row-404x',-134.666666666),
(405,'row-405xx',-135),
(406,'row-406xxx),(',-135.333333333),
(407,'row-407xxxx\\',-135.666666666),
(408,'row-408xxxxx',-136),
(409,'row-409xxxxxx',-136.333333333),
(410,'row-410xxxxxxx',-136.666666666),
(411,'row-411xxxxxxxx',-137),
(412,'row-412xxxxxxxxx',-137.333333333),
(413,'row-413xxxxxxxxxx),(',-137.666666666),
(414,'row-414xxxxxxxxxxx',-138),
(415,'row-415xxxxxxxxxxxx',-138.333333333),
(416,'row-416',-138.666666666),
(417,'row-417x',-139),
(418,'row-418xx\\',-139.333333333),
(419,'row-419xxx',-139.666666666),
(420,'row-420xxxx),(',-140),
(421,'row-421xxxxx',-140.333333333),
(422,'row-422xxxxxx',-140.666666666),
(423,'row-423xxxxxxx',-141),
(424,'row-424xxxxxxxx',-141.333333333),
(425,'row-425xxxxxxxxx',-141.666666666),
(426,'row-426xxxxxxxxxx',-142),
(427,'row-427xxxxxxxxxxx),(',-142.333333333),
(428,'row-428xxxxxxxxxxxx',-142.666666666),
(429,'row-429\\',-143),
(430,'row-430x',-143.333333333),
(431,'row-431xx',-143.666666666),
(432,'row-432xxx',-144),
(433,'row-433xxxx',-144.333333333),
(434,'row-434xxxxx),(',-144.666666666),
(435,'row-435xxxxxx',-145),
(436,'row-436xxxxxxx',-145.333333333),
(437,'row-437xxxxxxxx',-145.666666666),
(438,'row-438xxxxxxxxx',-146),
(439,'row-439xxxxxxxxxx',-146.333333333),
(440,'row-440xxxxxxxxxxx\\',-146.666666666),
(441,'row-441xxxxxxxxxxxx),(',-147),
(442,'row-442',-147.333333333),
(443,'row-443x',-147.666666666),
(444,'row-444xx',-148),
(445,'row-445xxx',-148.333333333),
(446,'row-446xxxx',-148.666666666),
(447,'row-447xxxxx',-149),
(448,'row-448xxxxxx),(',-149.333333333),
(449,'row-449xxxxxxx',-149.666666666),
(450,'row-450xxxxxxxx',-150),
(451,'row-451xxxxxxxxx\\',-150.333333333),
(452,'row-452xxxxxxxxxx',-150.666666666),
(453,'row-453xxxxxxxxxxx',-151),
(454,'row-454xxxxxxxxxxxx',-151.333333333),
(455,'row-455),(',-151.666666666),
(456,'row-456x',-152),
(457,'row-457xx',-152.333333333),
(458,'row-458xxx',-152.666666666),
(459,'row-459xxxx',-153),
(460,'row-460xxxxx',-153.333333333),
(461,'row-461xxxxxx',-153.666666666),
(462,'row-462xxxxxxx),(\\',-154),
(463,'row-463xxxxxxxx',-154.333333333),
(464,'row-464xxxxxxxxx',-154.666666666),
(465,'row-465xxxxxxxxxx',-155),
(466,'row-466xxxxxxxxxxx',-155.333333333),
(467,'row-467xxxxxxxxxxxx',-155.666666666),
(468,'row-468',-156),
(469,'row-469x),(',-156.333333333),
(470,'row-470xx',-156.666666666),
(471,'row-471xxx',-157),
(472,'row-472xxxx',-157.333333333),
(473,'row-473xxxxx\\',-157.666666666),
(474,'row-474xxxxxx',-158),
(475,'row-475xxxxxxx',-158.333333333);
INSERT INTO `many` VALUES
(476,'row-476xxxxxxxx),(',-158.666666666),
(477,'row-477xxxxxxxxx',-159),
(478,'row-478xxxxxxxxxx',-159.333333333),
(479,'row-479xxxxxxxxxxx',-159.666666666),
(480,'row-480xxxxxxxxxxxx',-160),
(481,'row-481',-160.333333333),
(482,'row-482x',-160.666666666),
(483,'row-483xx),(',-161),
(484,'row-484xxx\\',-161.333333333),
(485,'row-485xxxx',-161.666666666),
(486,'row-486xxxxx',-162),
(487,'row-487xxxxxx',-162.333333333),
(488,'row-488xxxxxxx',-162.666666666),
(489,'row-489xxxxxxxx',-163),
(490,'row-490xxxxxxxxx),(',-163.333333333),
(491,'row-491xxxxxxxxxx',-163.666666666),
(492,'row-492xxxxxxxxxxx',-164),
(493,'row-493xxxxxxxxxxxx',-164.333333333),
(494,'row-494',-164.666666666),
(495,'row-495x\\',-165),
(496,'row-496xx',-165.333333333),
(497,'row-497xxx),(',-165.666666666),
(498,'row-498xxxx',-166),
(499,'row-499xxxxx',-166.333333333),
(500,'row-500xxxxxx',-166.666666666);
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
INSERT INTO `we``ird ; name` VALUES
(1,'\0\0\0\0\0\0\0\0\0\0\0\0\0ð?\0\0\0\0\0\0\0@'),
(2,'\0\0\0\0\0\0\0\0\0\0\0\0\0@\0\0\0\0\0\0@'),
(3,NULL);
/*!40000 ALTER TABLE `we``ird ; name` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Dumping events for database 'sqldump_fx'
--
/*!50106 SET @save_time_zone= @@TIME_ZONE */ ;
/*!50106 DROP EVENT IF EXISTS `ev_cleanup` */;
DELIMITER ;;
/*!50003 SET @saved_cs_client      = @@character_set_client */ ;;
/*!50003 SET @saved_cs_results     = @@character_set_results */ ;;
/*!50003 SET @saved_col_connection = @@collation_connection */ ;;
/*!50003 SET character_set_client  = utf8mb3 */ ;;
/*!50003 SET character_set_results = utf8mb3 */ ;;
/*!50003 SET collation_connection  = utf8mb3_general_ci */ ;;
/*!50003 SET @saved_sql_mode       = @@sql_mode */ ;;
/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION' */ ;;
/*!50003 SET @saved_time_zone      = @@time_zone */ ;;
/*!50003 SET time_zone             = 'SYSTEM' */ ;;
/*!50106 CREATE*/ /*!50117 DEFINER=`root`@`127.0.0.1`*/ /*!50106 EVENT `ev_cleanup` ON SCHEDULE EVERY 1 DAY STARTS '2026-11-27 23:57:40' ON COMPLETION NOT PRESERVE ENABLE DO DELETE FROM log_t WHERE id < 0 
*/ ;;
/*!50003 SET time_zone             = @saved_time_zone */ ;;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;;
/*!50003 SET character_set_client  = @saved_cs_client */ ;;
/*!50003 SET character_set_results = @saved_cs_results */ ;;
/*!50003 SET collation_connection  = @saved_col_connection */ ;;
DELIMITER ;
/*!50106 SET TIME_ZONE= @save_time_zone */ ;

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
-- Current Database: `sqldump_fx2``q`
--

CREATE DATABASE /*!32312 IF NOT EXISTS*/ `sqldump_fx2``q` /*!40100 DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci */;

USE `sqldump_fx2``q`;

--
-- Table structure for table `t2`
--

DROP TABLE IF EXISTS `t2`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `t2` (
  `id` int(11) DEFAULT NULL,
  `j` text DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;

--
-- Dumping data for table `t2`
--

LOCK TABLES `t2` WRITE;
/*!40000 ALTER TABLE `t2` DISABLE KEYS */;
INSERT INTO `t2` VALUES
(1,'{\"a\": [1,2,(3)]}'),
(2,'x'),
(3,'y'),
(4,'z');
/*!40000 ALTER TABLE `t2` ENABLE KEYS */;
UNLOCK TABLES;

--
-- Dumping events for database 'sqldump_fx2`q'
--

--
-- Dumping routines for database 'sqldump_fx2`q'
--

--
-- Current Database: `sqldump_fx`
--

USE `sqldump_fx`;

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

--
-- Current Database: `sqldump_fx2``q`
--

USE `sqldump_fx2``q`;
/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;

/*!40101 SET SQL_MODE=@OLD_SQL_MODE */;
/*!40014 SET FOREIGN_KEY_CHECKS=@OLD_FOREIGN_KEY_CHECKS */;
/*!40014 SET UNIQUE_CHECKS=@OLD_UNIQUE_CHECKS */;
/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;
/*!40101 SET CHARACTER_SET_RESULTS=@OLD_CHARACTER_SET_RESULTS */;
/*!40101 SET COLLATION_CONNECTION=@OLD_COLLATION_CONNECTION */;
/*!40111 SET SQL_NOTES=@OLD_SQL_NOTES */;

-- Dump completed on 2026-11-27 23:57:51
