package io.jtarget.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jtarget.admin.AdminClient;
import io.jtarget.admin.AdminServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What every management command shares: {@code --data-dir}, the request to the server's admin API,
 * and how an answer is shown. A refusal is one line, {@code jtarget: why}, and exit code 1.
 */
abstract class AdminCommand implements java.util.concurrent.Callable<Integer> {
    /** Exit code of a refused request or an unreachable server. */
    static final int EXIT_REFUSED = 1;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = ServeCommand.DEFAULT_DATA_DIR,
            description = "The data directory of the server to manage (default: ${DEFAULT-VALUE} in the "
                    + "current directory).")
    Path dataDir;

    /** A refusal or an unreachable server. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    @Override
    public final Integer call() {
        try {
            run();
            out().flush();
            return 0;
        } catch (Refused e) {
            out().flush();
            err().println("jtarget: " + e.getMessage());
            err().flush();
            return EXIT_REFUSED;
        }
    }

    abstract void run() throws Refused;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** Sends one request; a refusal becomes {@link Refused} with the server's one-line reason. */
    JsonNode request(String method, String path, String body) throws Refused {
        String text = requestText(method, path, body);
        try {
            return text.isBlank() ? AdminServer.JSON.createObjectNode() : AdminServer.JSON.readTree(text);
        } catch (IOException e) {
            throw new Refused("unexpected answer from the server: " + e.getMessage());
        }
    }

    String requestText(String method, String path, String body) throws Refused {
        try (AdminClient client = AdminClient.forDataDir(dataDir)) {
            AdminClient.Response r = client.send(method, path, body);
            if (!r.ok()) {
                throw new Refused(reason(r));
            }
            return r.body();
        } catch (IOException e) {
            throw new Refused(e.getMessage());
        }
    }

    private static String reason(AdminClient.Response r) {
        try {
            JsonNode n = AdminServer.JSON.readTree(r.body());
            if (n.hasNonNull("error")) {
                return n.get("error").asText();
            }
        } catch (IOException e) {
            // not JSON: show the status
        }
        return "the server answered " + r.status();
    }

    static ObjectNode object() {
        return AdminServer.JSON.createObjectNode();
    }

    /** One path segment, URL-encoded (iSCSI names carry ':'). */
    static String segment(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** What an applied change did: one line per step, or "no change". */
    void printResult(JsonNode result) {
        JsonNode changes = result.path("changes");
        if (changes.isEmpty()) {
            out().println("no change");
        }
        for (JsonNode c : changes) {
            out().println(c.asText());
        }
        for (JsonNode r : result.path("restart-needed")) {
            out().println("takes effect at the next start: " + r.asText());
        }
    }
}
