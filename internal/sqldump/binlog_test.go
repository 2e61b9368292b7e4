package sqldump

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseBinlogSQL(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want binlogClause
	}{
		{"mariadb master-data", "CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000001', MASTER_LOG_POS=1105;",
			binlogClause{file: "mysql-bin.000001", pos: 1105, hasPos: true}},
		{"mysql 8.0.26+ source-data", "CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000002', SOURCE_LOG_POS=157;",
			binlogClause{file: "binlog.000002", pos: 157, hasPos: true}},
		{"lower case, no spaces, no semicolon", "change master to master_log_file='b.000009',master_log_pos=4",
			binlogClause{file: "b.000009", pos: 4, hasPos: true}},
		{"big position", "CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.004242', MASTER_LOG_POS=98765432101;",
			binlogClause{file: "mysql-bin.004242", pos: 98765432101, hasPos: true}},
		{"mariadb --gtid line has no position", "CHANGE MASTER TO MASTER_USE_GTID=slave_pos;", binlogClause{}},
		{"file without position", "CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000001';", binlogClause{}},
		{"position without file", "CHANGE MASTER TO MASTER_LOG_POS=4;", binlogClause{}},
		{"--dump-slave names the primary", "CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PORT=3306, MASTER_LOG_FILE='p-bin.000007', MASTER_LOG_POS=44;", binlogClause{}},
		{"mariadb --dump-slave with a connection name", "CHANGE MASTER '' TO MASTER_LOG_FILE='p-bin.000007', MASTER_LOG_POS=44;", binlogClause{}},
		{"negative position", "CHANGE MASTER TO MASTER_LOG_FILE='f', MASTER_LOG_POS=-4;", binlogClause{}},
		{"position not a number", "CHANGE MASTER TO MASTER_LOG_FILE='f', MASTER_LOG_POS=x4;", binlogClause{}},
		{"file not quoted", "CHANGE MASTER TO MASTER_LOG_FILE=f, MASTER_LOG_POS=4;", binlogClause{}},
		{"file quote left open", "CHANGE MASTER TO MASTER_LOG_FILE='f, MASTER_LOG_POS=4;", binlogClause{}},
		{"trailing junk", "CHANGE MASTER TO MASTER_LOG_FILE='f', MASTER_LOG_POS=4 x;", binlogClause{}},
		{"CHANGE something else", "CHANGE REPLICATION FILTER REPLICATE_DO_DB=(d);", binlogClause{}},

		{"mariadb gtid", "SET GLOBAL gtid_slave_pos='0-1-5';", binlogClause{gtid: "0-1-5", hasGTID: true}},
		{"mariadb gtid, several domains", "SET GLOBAL gtid_slave_pos='0-1-5,1-2-7';", binlogClause{gtid: "0-1-5,1-2-7", hasGTID: true}},
		{"mariadb gtid, empty", "SET GLOBAL gtid_slave_pos='';", binlogClause{hasGTID: true}},
		{"mysql 8 gtid", "SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5';",
			binlogClause{gtid: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5", hasGTID: true}},
		{"mysql 8 gtid over lines", "SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '916941de-9c55-11f1-8057-926cb20853d9:1-761,\na849f9cd-9d43-11f1-b163-f2b10cab70b0:1-17';",
			binlogClause{gtid: "916941de-9c55-11f1-8057-926cb20853d9:1-761,a849f9cd-9d43-11f1-b163-f2b10cab70b0:1-17", hasGTID: true}},
		{"mysql 5.7 gtid", "SET @@GLOBAL.GTID_PURGED='3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5';",
			binlogClause{gtid: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5", hasGTID: true}},
		{"mysql commented-out form", "SET @@GLOBAL.GTID_PURGED='+3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5';",
			binlogClause{gtid: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5", hasGTID: true}},
		{"other global", "SET GLOBAL gtid_binlog_state='0-1-5';", binlogClause{}},
		{"session variable", "SET @@SESSION.SQL_LOG_BIN= 0;", binlogClause{}},
		{"gtid not a string", "SET GLOBAL gtid_slave_pos=@x;", binlogClause{}},
		{"gtid quote left open", "SET @@GLOBAL.GTID_PURGED='3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5", binlogClause{}},
		{"nothing", "", binlogClause{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseBinlogSQL([]byte(tt.in), false); got != tt.want {
				t.Errorf("parseBinlogSQL(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

// The head and tail of dumps as the tools write them with the coordinates;
// the MariaDB ones are from mariadb-dump 10.11.19 --master-data=2
// [--gtid] --single-transaction, the MySQL ones from mysqldump 8.0 and 8.4.
const (
	binlogHead = "/*M!999999\\- enable the sandbox mode */ \n" +
		"-- MariaDB dump 10.19  Distrib 10.11.19-MariaDB, for debian-linux-gnu (x86_64)\n" +
		"--\n-- Host: 127.0.0.1    Database: \n" +
		"-- ------------------------------------------------------\n" +
		"-- Server version\t10.11.19-MariaDB-0+deb12u1-log\n\n" +
		"/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n" +
		"/*!40111 SET @OLD_SQL_NOTES=@@SQL_NOTES, SQL_NOTES=0 */;\n"
	binlogBody = "\n--\n-- Current Database: `a`\n--\n\n" +
		"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `a`;\n\nUSE `a`;\n" +
		"CREATE TABLE `t` (`id` int(11) NOT NULL);\n" +
		"INSERT INTO `t` VALUES (1),(2);\n"
	binlogFoot = "/*!40101 SET CHARACTER_SET_CLIENT=@OLD_CHARACTER_SET_CLIENT */;\n\n" +
		"-- Dump completed on 2026-11-28 13:38:51\n"

	mariadbGTIDHead = "-- CHANGE MASTER TO MASTER_USE_GTID=slave_pos;\n\n" +
		"-- A corresponding to the above master-data CHANGE-MASTER settings to the slave gtid state is printed later in the file.\n\n" +
		"--\n-- Alternately, following is the position of the binary logging from SHOW MASTER STATUS at point of backup.\n" +
		"-- Use this when creating a slave of the master server where the backup was made.\n" +
		"-- The new server will be connecting to the master server where the backup was taken.\n--\n\n" +
		"-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000001', MASTER_LOG_POS=1105;\n"
	mariadbDeferredGTID = "\n-- The deferred gtid setting for slave corresponding to the master-data CHANGE-MASTER follows\n\n" +
		"-- Preferably use GTID to start replication from GTID position:\n\n" +
		"-- SET GLOBAL gtid_slave_pos='0-1-5';\n"

	mysqlHead = "-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)\n--\n-- Host: 127.0.0.1    Database: \n" +
		"-- ------------------------------------------------------\n-- Server version\t8.0.36\n\n" +
		"/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;\n" +
		"SET @MYSQLDUMP_TEMP_LOG_BIN = @@SESSION.SQL_LOG_BIN;\nSET @@SESSION.SQL_LOG_BIN= 0;\n\n" +
		"--\n-- GTID state at the beginning of the backup \n--\n\n"
	mysqlFoot = "SET @@SESSION.SQL_LOG_BIN = @MYSQLDUMP_TEMP_LOG_BIN;\n" +
		"-- Dump completed on 2026-11-28 13:38:51\n"
)

func TestCountBinlog(t *testing.T) {
	uuid := "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	// A set of 60 UUIDs is over 2 KiB, more than count mode keeps of a
	// statement for classifying it; mysqldump breaks it after each comma.
	var longSet []string
	for i := range 60 {
		longSet = append(longSet, fmt.Sprintf("%08x-71ca-11e1-9e33-c80aa9429562:1-%d", i, 1000+i))
	}
	tests := []struct {
		name string
		dump string
		want *BinlogPosition
	}{
		{"mariadb 10.11 --master-data=2 --gtid",
			binlogHead + mariadbGTIDHead + binlogBody + mariadbDeferredGTID + binlogFoot,
			&BinlogPosition{File: "mysql-bin.000001", Position: 1105, GTID: "0-1-5"}},
		{"mariadb 10.11 --master-data=2",
			binlogHead + "\n--\n-- Alternately, following is the position of the binary logging from SHOW MASTER STATUS at point of backup.\n--\n\n" +
				"-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000001', MASTER_LOG_POS=1105;\n\n" +
				"-- A corresponding to the above master-data CHANGE-MASTER settings to the slave gtid state is printed as comments later in the file.\n" +
				binlogBody + mariadbDeferredGTID + binlogFoot,
			&BinlogPosition{File: "mysql-bin.000001", Position: 1105, GTID: "0-1-5"}},
		{"older mariadb: gtid right after the position",
			binlogHead + "\n--\n-- Position to start replication or point-in-time recovery from\n--\n\n" +
				"-- CHANGE MASTER TO MASTER_LOG_FILE='mariadb-bin.000012', MASTER_LOG_POS=328;\n\n" +
				"--\n-- GTID to start replication from\n--\n\n-- SET GLOBAL gtid_slave_pos='0-1-1,7-2-99';\n" +
				binlogBody + binlogFoot,
			&BinlogPosition{File: "mariadb-bin.000012", Position: 328, GTID: "0-1-1,7-2-99"}},
		{"mysql 8.0 --master-data=2, gtid set as a statement",
			mysqlHead + "SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '" + uuid + ":1-5';\n\n" +
				"--\n-- Position to start replication or point-in-time recovery from\n--\n\n" +
				"-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000002', MASTER_LOG_POS=157;\n" +
				binlogBody + mysqlFoot,
			&BinlogPosition{File: "binlog.000002", Position: 157, GTID: uuid + ":1-5"}},
		{"mysql 8.4 --source-data=2, gtid set over lines",
			mysqlHead + "SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '" + uuid + ":1-761,\na849f9cd-9d43-11f1-b163-f2b10cab70b0:1-17';\n\n" +
				"-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000003', SOURCE_LOG_POS=3200;\n" +
				binlogBody + mysqlFoot,
			&BinlogPosition{File: "binlog.000003", Position: 3200, GTID: uuid + ":1-761,a849f9cd-9d43-11f1-b163-f2b10cab70b0:1-17"}},
		{"mysql gtid set longer than the classification prefix",
			mysqlHead + "SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '" + strings.Join(longSet, ",\n") + "';\n\n" +
				"-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000003', SOURCE_LOG_POS=3200;\n" +
				binlogBody + mysqlFoot,
			&BinlogPosition{File: "binlog.000003", Position: 3200, GTID: strings.Join(longSet, ",")}},
		{"mysql --set-gtid-purged=COMMENTED as a line comment",
			mysqlHead + "-- SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '" + uuid + ":1-38';\n\n" +
				"-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000002', MASTER_LOG_POS=157;\n" + binlogBody + mysqlFoot,
			&BinlogPosition{File: "binlog.000002", Position: 157, GTID: uuid + ":1-38"}},
		{"mysql without gtids",
			mysqlHead + "-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000002', MASTER_LOG_POS=157;\n" + binlogBody + mysqlFoot,
			&BinlogPosition{File: "binlog.000002", Position: 157}},
		{"no coordinates", binlogHead + binlogBody + binlogFoot, nil},
		{"gtid alone is no position",
			mysqlHead + "SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '" + uuid + ":1-5';\n" + binlogBody + mysqlFoot, nil},
		{"--dump-slave coordinates are the primary's",
			binlogHead + "-- CHANGE MASTER TO MASTER_HOST='10.0.0.1', MASTER_PORT=3306, MASTER_LOG_FILE='p-bin.000007', MASTER_LOG_POS=44;\n" +
				binlogBody + mariadbDeferredGTID + binlogFoot, nil},
		{"a position after the content started is not the tool's",
			binlogHead + binlogBody + "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000001', MASTER_LOG_POS=1105;\n" + binlogFoot, nil},
		{"inside a statement it is data",
			binlogHead + "INSERT INTO x VALUES ('\n-- CHANGE MASTER TO MASTER_LOG_FILE=''f'', MASTER_LOG_POS=1;\n');\n" + binlogBody + binlogFoot, nil},
		{"the first position wins",
			binlogHead + "-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000001', MASTER_LOG_POS=1105;\n" +
				"-- CHANGE MASTER TO MASTER_LOG_FILE='mysql-bin.000009', MASTER_LOG_POS=9;\n" +
				binlogBody + mariadbDeferredGTID + "-- SET GLOBAL gtid_slave_pos='9-9-9';\n" + binlogFoot,
			&BinlogPosition{File: "mysql-bin.000001", Position: 1105, GTID: "0-1-5"}},
		{"CRLF line ends",
			strings.ReplaceAll(binlogHead+mariadbGTIDHead+binlogBody+mariadbDeferredGTID+binlogFoot, "\n", "\r\n"),
			&BinlogPosition{File: "mysql-bin.000001", Position: 1105, GTID: "0-1-5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := binlogModes(t, []byte(tt.dump))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Binlog\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// binlogModes counts data in every way the scanner can be driven and checks
// that they agree on Summary.Binlog: Count, count mode with the smallest
// buffer, byte-by-byte reads, and text mode (the restore engine's).
func binlogModes(t *testing.T, data []byte) *BinlogPosition {
	t.Helper()
	sum, err := Count(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	others := map[string]*Scanner{
		"small buffer": newScannerSize(bytes.NewReader(data), Options{}, maxLookahead),
		"one byte":     newScannerSize(iotest.OneByteReader(bytes.NewReader(data)), Options{}, 4096),
		"keep text":    NewScanner(bytes.NewReader(data), Options{KeepText: true}),
	}
	for name, s := range others {
		for {
			_, err := s.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		var got *BinlogPosition
		if b, ok := s.Binlog(); ok {
			got = &b
		}
		if !reflect.DeepEqual(got, sum.Binlog) {
			t.Errorf("%s: Binlog %+v, Count gives %+v", name, got, sum.Binlog)
		}
	}
	if !sum.HasFooter || len(sum.Tables) == 0 {
		t.Errorf("the dump did not parse as a whole: footer %v, tables %v", sum.HasFooter, sum.Tables)
	}
	return sum.Binlog
}

// TestCountLongStatementsUnchanged checks that widening the kept text for
// a GTID set does not leak into the statements after it: an INSERT that
// follows still counts its rows from a classification prefix.
func TestCountLongStatementsUnchanged(t *testing.T) {
	long := "SET @@GLOBAL.GTID_PURGED='" + strings.Repeat("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,", 100) + "x:1';\n"
	rows := strings.Repeat("(1,'"+strings.Repeat("v", 100)+"'),", 50)
	dump := long + "INSERT INTO `d`.`t` VALUES " + rows + "(2,'w');\n" + "-- Dump completed\n"
	stmts, err := scanModes(t, []byte(dump))
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 2 || stmts[1].Kind != KindInsert || stmts[1].Rows != 51 || stmts[1].Table != "t" {
		t.Errorf("statements %v", stmts)
	}
}
