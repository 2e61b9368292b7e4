package bench

import (
	"strconv"
)

// The seed script's checks after each restore, with its table names:
// SELECT * FROM each of SeedCheckExist (its DATABASES list, which names
// tables) must succeed, and each of SeedCheckRows (its TABLES list) must
// return rows. schema() creates every one of them, so the seed flow and
// gravedancer check the same things.
var (
	SeedCheckExist = []string{
		"cinder.volume_admin_metadata", "glance.images", "heat.event", "keystone.project",
		"neutron.networks", "nova.migrations", "nova_api.aggregate_hosts",
		"nova_cell0.agent_builds", "placement.projects", "rally.verifications",
	}
	SeedCheckRows = []string{
		"cinder.volume_admin_metadata", "glance.images", "keystone.project", "neutron.networks",
		"nova.migrations", "nova_api.aggregate_hosts", "placement.projects",
	}
)

func col(name, ddl string, fn genFn) column { return column{name, ddl, fn} }

// Shared column shapes.
func idPK() column { return col("id", "int(11) NOT NULL AUTO_INCREMENT", idCol) }

func createdAt() column { return col("created_at", "datetime DEFAULT NULL", datetime) }

func updatedAt() column { return col("updated_at", "datetime DEFAULT NULL", nullable(0.4, datetime)) }

func deletedAt() column { return col("deleted_at", "datetime DEFAULT NULL", nullable(0.9, datetime)) }

func deleted() column { return col("deleted", "int(11) NOT NULL DEFAULT 0", pick("0", "0", "0", "1")) }

func projectID() column { return col("project_id", "varchar(255) DEFAULT NULL", poolHex(40, 32)) }

var statuses = []string{"active", "available", "in-use", "error", "building", "deleted", "creating", "downloading"}

// meta is the key/value shape of *_metadata, *_extra_specs, *_properties.
func meta(db, name, owner string, ownerFn genFn, base int64) *table {
	return &table{db: db, name: name, baseRows: base,
		cols: []column{idPK(), createdAt(), updatedAt(), deletedAt(),
			col(owner, "varchar(36) NOT NULL", ownerFn),
			col("key", "varchar(255) NOT NULL", words(1, 2)),
			col("value", "varchar(255) DEFAULT NULL", nullable(0.1, utf8Text(1, 6))),
			deleted()},
		keys: []string{"PRIMARY KEY (`id`)", "KEY `" + name + "_" + owner + "_idx` (`" + owner + "`,`deleted`)"},
	}
}

// resource is a named, owned, stateful object.
func resource(db, name string, base int64) *table {
	return &table{db: db, name: name, baseRows: base,
		cols: []column{idPK(), createdAt(), updatedAt(), deletedAt(), deleted(),
			col("uuid", "varchar(36) NOT NULL", randomUUID),
			col("name", "varchar(255) DEFAULT NULL", utf8Text(1, 4)),
			col("description", "text DEFAULT NULL", nullable(0.3, utf8Text(3, 25))),
			projectID(),
			col("status", "varchar(255) DEFAULT NULL", pick(statuses...)),
			col("size", "int(11) DEFAULT NULL", skewed(2048))},
		keys: []string{"PRIMARY KEY (`id`)", "KEY `" + name + "_uuid_idx` (`uuid`)"},
	}
}

// mapping is a narrow association table with a composite primary key.
func mapping(db, name, a, b string, base int64) *table {
	return &table{db: db, name: name, baseRows: base,
		cols: []column{col(a, "int(11) NOT NULL", idCol), col(b, "int(11) NOT NULL", intCol(1, 1000)), createdAt()},
		keys: []string{"PRIMARY KEY (`" + a + "`,`" + b + "`)"},
	}
}

// quota is a per-project limit or usage.
func quota(db, name string, base int64) *table {
	return &table{db: db, name: name, baseRows: base,
		cols: []column{idPK(), createdAt(), updatedAt(), projectID(),
			col("resource", "varchar(255) NOT NULL", pick("instances", "cores", "ram", "volumes", "gigabytes", "ports", "floatingip", "security_group")),
			col("hard_limit", "int(11) DEFAULT NULL", nullable(0.2, intCol(-1, 100000))),
			col("in_use", "int(11) NOT NULL", skewed(5000)),
			col("reserved", "int(11) NOT NULL", skewed(10))},
		keys: []string{"PRIMARY KEY (`id`)"},
	}
}

// services is a host heartbeat row; host names are latin1 as on old installs.
func services(db string, base int64) *table {
	return &table{db: db, name: "services", baseRows: base,
		cols: []column{idPK(), createdAt(), updatedAt(), deletedAt(),
			col("host", "varchar(255) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL", hostName(400)),
			col("binary", "varchar(255) DEFAULT NULL", pick(db+"-compute", db+"-scheduler", db+"-conductor", db+"-api")),
			col("topic", "varchar(255) DEFAULT NULL", pick("compute", "scheduler", "conductor")),
			col("report_count", "int(11) NOT NULL", skewed(1<<30)),
			col("disabled", "tinyint(1) DEFAULT NULL", pick("0", "0", "1")),
			col("disabled_reason", "varchar(255) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL", nullable(0.8, latin1Text(2, 6))),
			col("last_seen_up", "datetime DEFAULT NULL", nullable(0.1, datetime)),
			col("version", "int(11) DEFAULT 0", intCol(1, 66))},
		keys: []string{"PRIMARY KEY (`id`)"},
	}
}

func cidr(g *gen) {
	g.buf = append(g.buf, "'10."...)
	g.buf = strconv.AppendInt(g.buf, g.id/256%256, 10)
	g.buf = append(g.buf, '.')
	g.buf = strconv.AppendInt(g.buf, g.id%256, 10)
	g.buf = append(g.buf, ".0/24'"...)
}

func macAddress(g *gen) {
	const hexd = "0123456789abcdef"
	v := g.r.Uint64()
	g.buf = append(g.buf, "'fa:16:3e"...)
	for i := range 3 {
		g.buf = append(g.buf, ':', hexd[(v>>(8*i+4))&15], hexd[(v>>(8*i))&15])
	}
	g.buf = append(g.buf, '\'')
}

// schema lists every generated table, parents before children. Small
// tables have baseRows (their rows at full scale); the big ones a share of
// what the target leaves after the small ones.
func schema() []*table {
	var project, networks, images, volumes, stack, instances *table

	project = &table{db: "keystone", name: "project", baseRows: 300,
		cols: []column{
			col("id", "varchar(64) NOT NULL", ownUUID(&project)),
			col("name", "varchar(64) NOT NULL", named("project-")),
			col("extra", "text DEFAULT NULL", jsonDoc(0, 4)),
			col("description", "text DEFAULT NULL", nullable(0.2, utf8Text(2, 20))),
			col("enabled", "tinyint(1) DEFAULT NULL", pick("0", "1", "1", "1")),
			col("domain_id", "varchar(64) NOT NULL", pick("default", "<<keystone.domain.root>>", "heat")),
			col("parent_id", "varchar(64) DEFAULT NULL", nullable(0.7, refUUID(&project))),
			col("is_domain", "tinyint(1) NOT NULL DEFAULT 0", pick("0", "0", "0", "1"))},
		keys: []string{"PRIMARY KEY (`id`)", "UNIQUE KEY `ixu_project_name_domain_id` (`domain_id`,`name`)"},
	}
	user := &table{db: "keystone", name: "user", baseRows: 500,
		cols: []column{
			col("id", "varchar(64) NOT NULL", randomUUID),
			col("name", "varchar(255) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL", named("user-")),
			col("extra", "text DEFAULT NULL", jsonDoc(0, 3)),
			col("enabled", "tinyint(1) DEFAULT NULL", pick("1", "1", "0")),
			col("default_project_id", "varchar(64) DEFAULT NULL", nullable(0.3, refUUID(&project))),
			col("created_at", "datetime DEFAULT NULL", datetime),
			col("last_active_at", "date DEFAULT NULL", nullable(0.3, pick("2025-01-02", "2025-06-30", "2026-11-27"))),
			col("domain_id", "varchar(64) NOT NULL", pick("default", "heat", "ldap"))},
		keys: []string{"PRIMARY KEY (`id`)", "UNIQUE KEY `ixu_user_name_domain_id` (`domain_id`,`name`)"},
	}
	revocation := &table{db: "keystone", name: "revocation_event", baseRows: 400,
		cols: []column{idPK(),
			col("domain_id", "varchar(64) DEFAULT NULL", nullable(0.8, pick("default", "heat"))),
			col("project_id", "varchar(64) DEFAULT NULL", nullable(0.5, poolHex(40, 32))),
			col("user_id", "varchar(64) DEFAULT NULL", poolHex(500, 32)),
			col("audit_id", "varchar(32) DEFAULT NULL", poolHex(1000, 22)),
			col("issued_before", "datetime NOT NULL", datetime),
			col("revoked_at", "datetime NOT NULL", datetime)},
		keys: []string{"PRIMARY KEY (`id`)", "KEY `ix_revocation_event_revoked_at` (`revoked_at`)"},
	}

	migrations := &table{db: "nova", name: "migrations", baseRows: 400,
		cols: []column{idPK(), createdAt(), updatedAt(), deletedAt(),
			col("source_compute", "varchar(255) DEFAULT NULL", hostName(400)),
			col("dest_compute", "varchar(255) DEFAULT NULL", hostName(400)),
			col("dest_host", "varchar(255) DEFAULT NULL", nullable(0.2, pick("192.0.2.10", "192.0.2.11", "2001:db8::1"))),
			col("status", "varchar(255) DEFAULT NULL", pick("completed", "error", "confirmed", "reverted", "running")),
			col("instance_uuid", "varchar(36) DEFAULT NULL", refUUID(&instances)),
			col("old_instance_type_id", "int(11) DEFAULT NULL", intCol(1, 40)),
			col("new_instance_type_id", "int(11) DEFAULT NULL", intCol(1, 40)),
			col("migration_type", "enum('migration','resize','live-migration','evacuation') DEFAULT NULL", pick("migration", "resize", "live-migration", "evacuation")),
			col("memory_total", "bigint(20) DEFAULT NULL", nullable(0.5, intCol(1<<20, 1<<36))),
			col("disk_processed", "bigint(20) DEFAULT NULL", nullable(0.5, intCol(0, 1<<36))),
			deleted()},
		keys: []string{"PRIMARY KEY (`id`)", "KEY `migrations_instance_uuid_and_status_idx` (`deleted`,`instance_uuid`,`status`)"},
	}
	instances = &table{db: "nova", name: "instances", share: 0.45,
		cols: []column{createdAt(), updatedAt(), deletedAt(), idPK(),
			col("internal_id", "int(11) DEFAULT NULL", nullable(0.95, intCol(0, 1000))),
			col("user_id", "varchar(255) DEFAULT NULL", poolHex(500, 32)),
			projectID(),
			col("image_ref", "varchar(255) DEFAULT NULL", randomUUID),
			col("kernel_id", "varchar(255) DEFAULT NULL", pick("")),
			col("ramdisk_id", "varchar(255) DEFAULT NULL", pick("")),
			col("launch_index", "int(11) DEFAULT NULL", skewed(4)),
			col("key_name", "varchar(255) DEFAULT NULL", nullable(0.3, words(1, 1))),
			col("key_data", "mediumtext DEFAULT NULL", nullable(0.4, base64Text(372, 380))),
			col("power_state", "int(11) DEFAULT NULL", pick("0", "1", "1", "1", "4")),
			col("vm_state", "varchar(255) DEFAULT NULL", pick("active", "active", "active", "stopped", "error", "shelved_offloaded")),
			col("memory_mb", "int(11) DEFAULT NULL", pick("512", "1024", "2048", "4096", "8192", "16384", "65536")),
			col("vcpus", "int(11) DEFAULT NULL", pick("1", "2", "4", "8", "16")),
			col("hostname", "varchar(255) DEFAULT NULL", named("vm-")),
			col("host", "varchar(255) DEFAULT NULL", hostName(400)),
			col("user_data", "mediumtext DEFAULT NULL", nullable(0.4, base64Text(256, 4096))),
			col("reservation_id", "varchar(255) DEFAULT NULL", poolHex(1<<30, 8)),
			col("launched_at", "datetime DEFAULT NULL", nullable(0.05, datetime)),
			col("terminated_at", "datetime DEFAULT NULL", nullable(0.9, datetime)),
			col("display_name", "varchar(255) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL", latin1Text(1, 4)),
			col("display_description", "text DEFAULT NULL", nullable(0.2, utf8Text(5, 60))),
			col("availability_zone", "varchar(255) DEFAULT NULL", pick("nova", "az1", "az2", "az3")),
			col("locked", "tinyint(1) DEFAULT NULL", pick("0", "0", "0", "1")),
			col("os_type", "varchar(255) DEFAULT NULL", nullable(0.5, pick("linux", "windows"))),
			col("launched_on", "mediumtext DEFAULT NULL", hostName(400)),
			col("instance_type_id", "int(11) DEFAULT NULL", intCol(1, 40)),
			col("vm_mode", "varchar(255) DEFAULT NULL", nullable(0.7, pick("hvm", "xen"))),
			col("uuid", "varchar(36) NOT NULL", ownUUID(&instances)),
			col("root_device_name", "varchar(255) DEFAULT NULL", pick("/dev/vda", "/dev/sda")),
			col("root_gb", "int(11) DEFAULT NULL", pick("1", "10", "20", "40", "80", "160")),
			col("ephemeral_gb", "int(11) DEFAULT NULL", pick("0", "0", "10")),
			col("progress", "int(11) DEFAULT NULL", nullable(0.5, intCol(0, 100))),
			col("task_state", "varchar(255) DEFAULT NULL", nullable(0.9, pick("spawning", "rebooting", "migrating", "image_uploading"))),
			col("config_drive", "varchar(255) DEFAULT NULL", pick("", "True")),
			col("node", "varchar(255) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL", hostName(400)),
			col("cleaned", "int(11) DEFAULT 0", pick("0", "1")),
			col("locked_by", "enum('owner','admin') DEFAULT NULL", nullable(0.9, pick("owner", "admin"))),
			col("hidden", "tinyint(1) DEFAULT 0", pick("0")),
			col("rxtx_factor", "decimal(6,2) DEFAULT NULL", decimal(2, 2)),
			col("system_metadata", "mediumtext DEFAULT NULL", jsonDoc(8, 24)),
			deleted()},
		keys: []string{"PRIMARY KEY (`id`)", "UNIQUE KEY `uniq_instances0uuid` (`uuid`)",
			"KEY `instances_project_id_deleted_idx` (`project_id`,`deleted`)",
			"KEY `instances_host_deleted_cleaned_idx` (`host`,`deleted`,`cleaned`)"},
	}
	actionEvents := &table{db: "nova", name: "instance_actions_events", share: 0.30,
		cols: []column{idPK(),
			col("action_id", "int(11) DEFAULT NULL", intCol(1, 1<<20)),
			col("event", "varchar(60) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL", pick("compute_reboot_instance", "compute_stop_instance", "compute_build_and_run_instance", "schedule_instances")),
			col("start_time", "datetime DEFAULT NULL", datetime),
			col("finish_time", "datetime DEFAULT NULL", nullable(0.05, datetime)),
			col("result", "varchar(12) DEFAULT NULL", pick("Success", "Success", "Success", "Error")),
			col("host", "varchar(255) DEFAULT NULL", hostName(400))},
		keys: []string{"PRIMARY KEY (`id`)", "KEY `instance_actions_events_action_id_idx` (`action_id`)"},
	}

	networks = &table{db: "neutron", name: "networks", baseRows: 300,
		cols: []column{idPK(),
			col("uuid", "varchar(36) NOT NULL", ownUUID(&networks)),
			projectID(),
			col("name", "varchar(255) DEFAULT NULL", utf8Text(1, 3)),
			col("status", "varchar(16) DEFAULT NULL", pick("ACTIVE", "DOWN", "BUILD")),
			col("admin_state_up", "tinyint(1) DEFAULT NULL", pick("1", "1", "0")),
			col("mtu", "int(11) NOT NULL DEFAULT 1500", pick("1450", "1500", "9000")),
			col("standard_attr_id", "bigint(20) NOT NULL", idCol)},
		keys: []string{"PRIMARY KEY (`id`)", "UNIQUE KEY `uniq_networks0standard_attr_id` (`standard_attr_id`)"},
	}
	subnets := &table{db: "neutron", name: "subnets", baseRows: 450,
		cols: []column{idPK(),
			col("network_id", "int(11) NOT NULL", refID(&networks)),
			projectID(),
			col("name", "varchar(255) DEFAULT NULL", words(1, 3)),
			col("ip_version", "int(11) NOT NULL", pick("4", "4", "6")),
			col("cidr", "varchar(64) NOT NULL", cidr),
			col("gateway_ip", "varchar(64) DEFAULT NULL", nullable(0.1, pick("10.0.0.1", "192.0.2.1"))),
			col("enable_dhcp", "tinyint(1) DEFAULT NULL", pick("0", "1"))},
		keys: []string{"PRIMARY KEY (`id`)", "KEY `subnets_network_id_fk` (`network_id`)",
			"CONSTRAINT `subnets_ibfk_1` FOREIGN KEY (`network_id`) REFERENCES `networks` (`id`)"},
	}
	ports := &table{db: "neutron", name: "ports", baseRows: 500,
		cols: []column{idPK(),
			col("network_id", "int(11) NOT NULL", refID(&networks)),
			projectID(),
			col("name", "varchar(255) DEFAULT NULL", pick("", "", "port")),
			col("mac_address", "varchar(32) NOT NULL", macAddress),
			col("admin_state_up", "tinyint(1) NOT NULL", pick("1")),
			col("status", "varchar(16) NOT NULL", pick("ACTIVE", "DOWN", "BUILD")),
			col("device_id", "varchar(255) NOT NULL", randomUUID),
			col("device_owner", "varchar(255) NOT NULL", pick("compute:nova", "network:dhcp", "network:router_interface", ""))},
		keys: []string{"PRIMARY KEY (`id`)", "KEY `ix_ports_network_id_device_owner` (`network_id`,`device_owner`)",
			"CONSTRAINT `ports_ibfk_1` FOREIGN KEY (`network_id`) REFERENCES `networks` (`id`) ON DELETE CASCADE"},
	}
	// No primary key: InnoDB keys it with a hidden row id, and chunking
	// dumpers fall back to whole-table reads.
	heartbeats := &table{db: "neutron", name: "agent_heartbeats", baseRows: 500,
		cols: []column{
			col("agent_id", "int(11) NOT NULL", intCol(1, 60)),
			col("host", "varchar(255) CHARACTER SET latin1 COLLATE latin1_swedish_ci NOT NULL", hostName(60)),
			col("reported_at", "datetime NOT NULL", datetime),
			col("state", "varchar(16) DEFAULT NULL", nullable(0.05, pick("alive", "dead"))),
			col("load", "decimal(8,3) DEFAULT NULL", decimal(4, 3))},
		keys: []string{"KEY `agent_heartbeats_agent_id` (`agent_id`)"},
	}

	images = &table{db: "glance", name: "images", baseRows: 300,
		cols: []column{
			col("id", "varchar(36) NOT NULL", ownUUID(&images)),
			col("name", "varchar(255) DEFAULT NULL", utf8Text(1, 4)),
			col("size", "bigint(20) DEFAULT NULL", intCol(1<<20, 1<<34)),
			col("status", "varchar(30) NOT NULL", pick("active", "queued", "killed", "deleted")),
			createdAt(), updatedAt(), deletedAt(),
			col("deleted", "tinyint(1) NOT NULL", pick("0", "0", "1")),
			col("disk_format", "varchar(20) DEFAULT NULL", pick("qcow2", "raw", "vmdk", "iso")),
			col("container_format", "varchar(20) DEFAULT NULL", pick("bare", "ovf")),
			col("checksum", "varchar(32) DEFAULT NULL", poolHex(1<<30, 32)),
			col("owner", "varchar(255) DEFAULT NULL", poolHex(40, 32)),
			col("min_disk", "int(11) NOT NULL", pick("0", "1", "10")),
			col("min_ram", "int(11) NOT NULL", pick("0", "512")),
			col("protected", "tinyint(1) NOT NULL DEFAULT 0", pick("0", "1")),
			col("visibility", "enum('private','public','shared','community') NOT NULL DEFAULT 'shared'", pick("private", "public", "shared", "community")),
			col("os_hash_value", "varchar(128) DEFAULT NULL", poolHex(1<<30, 32))},
		keys: []string{"PRIMARY KEY (`id`)", "KEY `ix_images_deleted` (`deleted`)"},
	}

	volumes = resource("cinder", "volumes", 400)
	stack = resource("heat", "stack", 300)
	heatEvent := &table{db: "heat", name: "event", baseRows: 500,
		cols: []column{idPK(), col("uuid", "varchar(36) DEFAULT NULL", randomUUID),
			col("stack_id", "varchar(36) NOT NULL", poolHex(300, 32)),
			createdAt(), updatedAt(),
			col("resource_action", "varchar(255) DEFAULT NULL", pick("CREATE", "UPDATE", "DELETE")),
			col("resource_status", "varchar(255) DEFAULT NULL", pick("IN_PROGRESS", "COMPLETE", "FAILED")),
			col("resource_name", "varchar(255) DEFAULT NULL", words(1, 2)),
			col("resource_status_reason", "varchar(255) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT NULL", latin1Text(2, 10))},
		keys: []string{"PRIMARY KEY (`id`)", "KEY `ix_event_stack_id` (`stack_id`)"},
	}
	rawFiles := &table{db: "heat", name: "raw_template_files", share: 0.25,
		cols: []column{idPK(), col("files", "longblob DEFAULT NULL", blob(2<<10, 48<<10)), createdAt(), updatedAt()},
		keys: []string{"PRIMARY KEY (`id`)"},
	}

	tables := []*table{
		project, user, revocation,
		resource("keystone", "endpoint", 60), resource("keystone", "service", 30), resource("keystone", "role", 50),
		mapping("keystone", "assignment", "actor_id", "target_id", 500),
		resource("keystone", "credential", 200), resource("keystone", "trust", 100),

		instances, actionEvents, migrations, services("nova", 400),
		meta("nova", "instance_metadata", "instance_uuid", refUUID(&instances), 500),
		meta("nova", "instance_system_metadata", "instance_uuid", refUUID(&instances), 500),
		resource("nova", "block_device_mapping", 500), resource("nova", "instance_faults", 300),
		resource("nova", "key_pairs", 200), quota("nova", "quotas", 300), quota("nova", "quota_usages", 400),
		resource("nova", "security_groups", 200), resource("nova", "compute_nodes", 400),

		mapping("nova_api", "aggregate_hosts", "id", "aggregate_id", 200),
		resource("nova_api", "aggregates", 40), resource("nova_api", "flavors", 60),
		meta("nova_api", "flavor_extra_specs", "flavor_id", intCol(1, 60), 200),
		resource("nova_api", "cell_mappings", 5), resource("nova_api", "host_mappings", 400),
		resource("nova_api", "request_specs", 400), resource("nova_api", "build_requests", 50),

		resource("nova_cell0", "agent_builds", 20), resource("nova_cell0", "instances", 100),

		networks, subnets, ports, heartbeats,
		resource("neutron", "routers", 150), resource("neutron", "securitygroups", 200),
		resource("neutron", "securitygrouprules", 500), resource("neutron", "ipallocations", 500),
		resource("neutron", "ml2_port_bindings", 500), quota("neutron", "quotas", 100),

		images,
		meta("glance", "image_properties", "image_id", refUUID(&images), 500),
		mapping("glance", "image_members", "id", "member", 200),
		resource("glance", "image_locations", 300), resource("glance", "image_tags", 300),

		volumes,
		meta("cinder", "volume_admin_metadata", "volume_id", refUUID(&volumes), 400),
		meta("cinder", "volume_metadata", "volume_id", refUUID(&volumes), 400),
		resource("cinder", "snapshots", 300), resource("cinder", "backups", 200),
		services("cinder", 40), quota("cinder", "quotas", 100), resource("cinder", "volume_types", 20),

		stack, heatEvent, rawFiles, resource("heat", "resource", 500),
		resource("heat", "raw_template", 300), resource("heat", "software_config", 100),

		resource("placement", "projects", 100), resource("placement", "users", 300),
		resource("placement", "resource_providers", 400), quota("placement", "inventories", 500),
		mapping("placement", "allocations", "id", "resource_provider_id", 500),
		resource("placement", "traits", 200), resource("placement", "consumers", 500),

		resource("rally", "verifications", 50),
	}
	return tables
}
