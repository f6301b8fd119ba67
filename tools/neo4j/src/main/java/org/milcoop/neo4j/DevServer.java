package org.milcoop.neo4j;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * A real Neo4j 5.26 Community server for development and CI, without Docker.
 *
 * <p>The Community edition is published on Maven Central as plain jars, so we embed it through
 * {@link DatabaseManagementServiceBuilder} and switch on the Bolt connector. Clients (the Python
 * driver in particular) then talk Bolt to it exactly as they would to a packaged server, with the
 * same storage engine, transaction log and recovery code.
 *
 * <p>Like a packaged server it also runs the HTTP connector (the transactional HTTP API, and Neo4j
 * Browser at {@code /browser/}, found on the class path in the neo4j-browser jar) and loads
 * procedures from a plugins directory (APOC core).
 *
 * <p>Usage: {@code DevServer --port N --home DIR [--http-port N] [--plugins DIR] [--pagecache 256m]
 * [--procedures-allowlist LIST] [--procedures-unrestricted LIST]}
 *
 * <p>Authentication is disabled: this is for a loopback-only development or CI server, and it lets
 * any credentials through so tests need no secret.
 */
public final class DevServer {

    /** Printed once Bolt is listening; launchers may look for it in the log. */
    static final String READY_PREFIX = "milcoop-neo4j: bolt ready on ";

    private DevServer() {}

    public static void main(String[] args) throws InterruptedException {
        int port = -1;
        // 0: no HTTP connector.
        int httpPort = 0;
        Path plugins = null;
        Path home = null;
        String pagecache = "256m";
        // Null: Neo4j's defaults. The launcher (tools/neo4j/neo4j_dev.py) always passes the
        // lists milcoop defines once, in graph/neo4j/procedures.py.
        List<String> allowlist = null;
        List<String> unrestricted = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--port" -> port = parsePort(value(args, ++i, arg));
                case "--http-port" -> httpPort = parsePort(value(args, ++i, arg));
                case "--plugins" -> plugins = Path.of(value(args, ++i, arg)).toAbsolutePath();
                case "--home" -> home = Path.of(value(args, ++i, arg)).toAbsolutePath();
                case "--pagecache" -> pagecache = value(args, ++i, arg);
                case "--procedures-allowlist" -> allowlist = names(value(args, ++i, arg));
                case "--procedures-unrestricted" -> unrestricted = names(value(args, ++i, arg));
                case "-h", "--help" -> {
                    System.out.println(usage());
                    return;
                }
                default -> fail("unknown argument: " + arg);
            }
        }
        if (port < 0) {
            fail("--port is required");
        }
        if (home == null) {
            fail("--home is required");
        }
        long pagecacheBytes;
        try {
            pagecacheBytes = ByteUnit.parse(pagecache);
        } catch (IllegalArgumentException e) {
            fail("bad --pagecache value '" + pagecache + "': " + e.getMessage());
            return; // unreachable: fail() exits
        }

        DatabaseManagementService dbms;
        try {
            DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home);
            if (allowlist != null) {
                // Only these procedures and user-defined functions are loaded at all: a plugin
                // such as APOC cannot then offer apoc.load.* (files, URLs) to any query.
                builder.setConfig(GraphDatabaseSettings.procedure_allowlist, allowlist);
            }
            if (plugins != null) {
                // Neo4j registers procedures (APOC's) only from the jars of this directory.
                builder.setConfig(GraphDatabaseSettings.plugin_dir, plugins);
            }
            if (httpPort > 0) {
                // The HTTP API and Neo4j Browser, on loopback only like Bolt (auth is off).
                builder.setConfig(HttpConnector.enabled, true)
                        .setConfig(HttpConnector.listen_address, new SocketAddress("127.0.0.1", httpPort))
                        .setConfig(HttpConnector.advertised_address, new SocketAddress("127.0.0.1", httpPort))
                        // The Browser connects back over Bolt to the address advertised here.
                        .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port));
            } else {
                builder.setConfig(HttpConnector.enabled, false);
            }
            if (unrestricted != null) {
                // Procedures allowed to bypass the security sandbox: none, so none can reach
                // the file system or the network through Neo4j's internals.
                builder.setConfig(GraphDatabaseSettings.procedure_unrestricted, unrestricted);
            }
            dbms = builder
                    // Bolt on loopback only: auth is off, so it must never face a network.
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                    .setConfig(GraphDatabaseSettings.auth_enabled, false)
                    // LOAD CSV may not read the server's files (file:/// URLs): /v1/cypher refuses
                    // LOAD CSV from the plan already, and the server need not offer it either.
                    .setConfig(GraphDatabaseSettings.allow_file_urls, false)
                    // Time limits (milcoop's queries have about a second, /v1/cypher's a few) are
                    // checked every 2 s by default, so a runaway query would burn up to 2 s more
                    // of a small CI machine after its limit; check ten times a second instead.
                    .setConfig(
                            GraphDatabaseSettings.transaction_monitor_check_interval,
                            Duration.ofMillis(100))
                    // No HTTPS: there are no certificates, and 7473 could clash with another
                    // developer's instance.
                    .setConfig(HttpsConnector.enabled, false)
                    // The page cache is off-heap; the default (50% of RAM minus heap) would claim
                    // gigabytes on a shared 24 GiB CI machine, so keep it small and explicit.
                    .setConfig(GraphDatabaseSettings.pagecache_memory, pagecacheBytes)
                    // By default every database (neo4j and system) fallocates a 256 MiB
                    // transaction log up front: half a gigabyte of disk per throwaway test home.
                    // Without preallocation the logs simply grow; durability is unchanged.
                    .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                    // No usage-data pings: dev and CI machines reach no network but package
                    // registries, and outbound attempts elsewhere are unwelcome.
                    .setConfig(GraphDatabaseSettings.udc_enabled, false)
                    // Bolt waits 5 s + 5 s for its worker pool and connections at shutdown,
                    // *after* the databases have been checkpointed and closed. Tests stop and
                    // start servers often, so cut that idle wait; it protects no data.
                    .setConfig(
                            BoltConnectorInternalSettings.thread_pool_shutdown_wait_time,
                            Duration.ofSeconds(1))
                    .setConfig(
                            BoltConnectorInternalSettings.connection_shutdown_wait_time,
                            Duration.ofSeconds(1))
                    .build();
        } catch (RuntimeException e) {
            // E.g. the port is taken or the store is locked by another process. Neo4j may have
            // started non-daemon threads already, so exit explicitly rather than fall off main.
            System.err.println("milcoop-neo4j: failed to start: " + e);
            e.printStackTrace(System.err);
            System.err.flush();
            System.exit(1);
            return; // unreachable
        }

        // Shutting down flushes the page cache and writes a clean checkpoint, so the next start
        // needs no recovery. A SIGTERM/SIGINT runs this hook; SIGKILL deliberately does not,
        // which is how tests exercise crash recovery.
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            System.out.println("milcoop-neo4j: shutting down");
                            System.out.flush();
                            try {
                                dbms.shutdown();
                            } finally {
                                stopped.countDown();
                            }
                            System.out.println("milcoop-neo4j: stopped");
                            System.out.flush();
                        },
                        "milcoop-neo4j-shutdown"));

        // build() returns once the default database is started and Bolt is bound.
        String http = httpPort > 0 ? "; Neo4j Browser on http://127.0.0.1:" + httpPort + "/browser/" : "";
        System.out.println(READY_PREFIX + "127.0.0.1:" + port + " (home " + home + ")" + http);
        System.out.flush();

        // Block until the shutdown hook has run; the JVM then exits.
        stopped.await();
    }

    private static String value(String[] args, int i, String name) {
        if (i >= args.length) {
            fail(name + " needs a value");
        }
        return args[i];
    }

    /** A comma-separated list of procedure names or globs; an empty string is the empty list. */
    private static List<String> names(String text) {
        return Arrays.stream(text.split(",")).map(String::strip).filter(name -> !name.isEmpty()).toList();
    }

    private static int parsePort(String text) {
        try {
            int port = Integer.parseInt(text);
            if (port < 1 || port > 65535) {
                fail("--port out of range: " + text);
            }
            return port;
        } catch (NumberFormatException e) {
            fail("--port is not a number: " + text);
            return -1; // unreachable
        }
    }

    private static String usage() {
        return "usage: DevServer --port N --home DIR [--http-port N] [--plugins DIR] [--pagecache 256m]"
                + " [--procedures-allowlist a,b.*]"
                + " [--procedures-unrestricted a,b]";
    }

    private static void fail(String message) {
        System.err.println("milcoop-neo4j: " + message);
        System.err.println(usage());
        System.exit(2);
    }
}
