/*M!999999\- enable the sandbox mode */ 
/*!40101 SET @saved_cs_client     = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE `t2` (
  `id` int(11) DEFAULT NULL,
  `j` text DEFAULT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci;
/*!40101 SET character_set_client = @saved_cs_client */;
REPLACE INTO `t2` VALUES
(1,'{\"a\": [1,2,(3)]}'),
(2,'x'),
(3,'y'),
(4,'z');
