package io.jtarget.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtarget.config.BackingSpecParser;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jtarget target|lun|acl|portal|session ...}: change a running server through its admin API. */
final class TargetCommands {
    private TargetCommands() {}

    /** A command about one target. */
    abstract static class TargetCommand extends AdminCommand {
        @Option(names = "--target", required = true, paramLabel = "IQN", description = "The target.")
        String target;
    }

    /** A command about one LUN of a target. */
    abstract static class LunCommand extends TargetCommand {
        @Option(names = "--lun", required = true, paramLabel = "N", description = "The LUN number.")
        int lun;
    }

    @Command(name = "target", mixinStandardHelpOptions = true, description = "Add, remove or list targets of a running server.",
            subcommands = {TargetAdd.class, TargetRemove.class, TargetList.class})
    static final class Target {}

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a target (without LUNs; add them with 'jtarget lun add').")
    static final class TargetAdd extends AdminCommand {
        @Parameters(paramLabel = "IQN", description = "The target's iSCSI name.")
        String name;

        @Override
        void run() throws Refused {
            printResult(request("POST", "/v1/targets", object().put("name", name).toString()));
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Remove a target: its sessions end, its LUNs drain, their stores close.")
    static final class TargetRemove extends AdminCommand {
        @Parameters(paramLabel = "IQN", description = "The target's iSCSI name.")
        String name;

        @Option(names = "--force", description = "Remove it even while an initiator holds one of its LUNs (reservation, prevented removal).")
        boolean force;

        @Override
        void run() throws Refused {
            printResult(request("DELETE", "/v1/targets/" + segment(name) + (force ? "?force=true" : ""), null));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List targets with their LUNs and access rules.")
    static final class TargetList extends AdminCommand {
        @Override
        void run() throws Refused {
            for (JsonNode t : request("GET", "/v1/targets", null)) {
                out().println(t.path("name").asText());
                out().println("  access  " + t.path("access").asText());
                out().println("  auth    " + t.path("auth").asText());
                for (JsonNode l : t.path("luns")) {
                    out().println("  " + LunList.line(l));
                }
            }
        }
    }

    @Command(name = "lun", mixinStandardHelpOptions = true, description = "Add, remove, resize or list LUNs of a running server.",
            subcommands = {LunAdd.class, LunRemove.class, LunResize.class, LunList.class})
    static final class Lun {}

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Add a LUN; initiators see it at once (REPORTED LUNS DATA HAS CHANGED).")
    static final class LunAdd extends TargetCommand {
        @Option(names = "--lun", required = true, paramLabel = "SPEC",
                description = "The backing store, as for 'serve --lun' (see 'jtarget serve --help'): ram:SIZE or "
                        + "file:PATH[:SIZE], flags ,ro ,wt ,removable.")
        String lun;

        @Option(names = "--number", paramLabel = "N", description = "The LUN number (default: the lowest free one).")
        Integer number;

        @Override
        void run() throws Refused {
            BackingSpecParser.ParsedLun parsed;
            try {
                parsed = BackingSpecParser.parseLun(lun);
            } catch (IllegalArgumentException e) {
                throw new Refused("--lun: " + e.getMessage());
            }
            // A relative path is relative to where the command runs, as for 'serve --lun'.
            String backing = parsed.backing().resolvedAgainst(Path.of("").toAbsolutePath()).spec();
            var body = object().put("backing", backing);
            if (number != null) {
                body.put("lun", number);
            }
            if (parsed.readOnly()) {
                body.put("read-only", true);
            }
            if (parsed.removable()) {
                body.put("removable", true);
            }
            printResult(request("POST", "/v1/targets/" + segment(target) + "/luns", body.toString()));
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Remove a LUN: new commands are refused, outstanding ones finish, then its store closes.")
    static final class LunRemove extends LunCommand {
        @Option(names = "--force", description = "Remove it even while an initiator holds it (reservation, prevented removal).")
        boolean force;

        @Override
        void run() throws Refused {
            printResult(request("DELETE", "/v1/targets/" + segment(target) + "/luns/" + lun + (force ? "?force=true" : ""), null));
        }
    }

    @Command(name = "resize", mixinStandardHelpOptions = true,
            description = "Change a LUN's size; initiators are told (CAPACITY DATA HAS CHANGED). A file grows sparse.")
    static final class LunResize extends LunCommand {
        @Option(names = "--size", required = true, paramLabel = "SIZE", description = "The new size (K, M, G, T).")
        String size;

        @Option(names = "--force", description = "Shrink even when data beyond the new end would be lost.")
        boolean force;

        @Override
        void run() throws Refused {
            var body = object().put("size", size).put("force", force);
            printResult(request("PUT", "/v1/targets/" + segment(target) + "/luns/" + lun + "/size", body.toString()));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the LUNs of a target.")
    static final class LunList extends TargetCommand {
        @Override
        void run() throws Refused {
            for (JsonNode l : request("GET", "/v1/targets/" + segment(target) + "/luns", null)) {
                out().println(line(l));
            }
        }

        static String line(JsonNode l) {
            return String.format("LUN %d  %s  %s%s%s  serial %s  %d outstanding", l.path("lun").asInt(),
                    ServeCommand.humanSize(l.path("size-bytes").asLong()), l.path("backing").asText(),
                    l.path("read-only").asBoolean() ? ", read-only" : "",
                    l.path("removable").asBoolean() ? ", removable" : "", l.path("serial").asText(),
                    l.path("outstanding-commands").asInt());
        }
    }

    @Command(name = "acl", mixinStandardHelpOptions = true,
            description = "Allow or stop allowing initiators (by name or address range) on a target.",
            subcommands = {AclAdd.class, AclRemove.class, AclList.class})
    static final class Acl {}

    abstract static class AclChange extends TargetCommand {
        @Option(names = "--initiator", paramLabel = "IQN", description = "An initiator name.")
        String initiator;

        @Option(names = "--address", paramLabel = "CIDR", description = "An address range, e.g. 192.0.2.0/24.")
        String address;
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Allow an initiator name or address range (once any is listed, others are refused).")
    static final class AclAdd extends AclChange {
        @Option(names = "--luns", paramLabel = "N[,N...]", split = ",",
                description = "With --initiator: the only LUNs it sees (LIO's mapped LUNs); default: all.")
        List<Integer> luns;

        @Override
        void run() throws Refused {
            var body = object();
            if (initiator != null) {
                body.put("initiator", initiator);
            }
            if (luns != null) {
                var array = body.putArray("luns");
                luns.forEach(array::add);
            }
            if (address != null) {
                body.put("address", address);
            }
            printResult(request("POST", "/v1/targets/" + segment(target) + "/acl", body.toString()));
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Remove an initiator name or address range; sessions already logged in stay.")
    static final class AclRemove extends AclChange {
        @Override
        void run() throws Refused {
            String query = initiator != null ? "initiator=" + segment(initiator) : address != null ? "address=" + segment(address) : "";
            printResult(request("DELETE", "/v1/targets/" + segment(target) + "/acl?" + query, null));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Show who may log in to a target.")
    static final class AclList extends TargetCommand {
        @Override
        void run() throws Refused {
            JsonNode acl = request("GET", "/v1/targets/" + segment(target) + "/acl", null);
            if (acl.path("initiators").isEmpty() && acl.path("addresses").isEmpty()) {
                out().println("any initiator");
            }
            acl.path("initiators").forEach(i -> out().println("initiator  " + i.asText()));
            acl.path("addresses").forEach(a -> out().println("address    " + a.asText()));
            acl.path("mapped-luns").properties().forEach(e -> out().println("initiator  " + e.getKey() + " sees LUNs "
                    + e.getValue().toString()));
        }
    }

    @Command(name = "portal", mixinStandardHelpOptions = true, description = "Add, remove or list the portals a running server listens on.",
            subcommands = {PortalAdd.class, PortalRemove.class, PortalList.class})
    static final class Portal {}

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Listen on one more portal (its own portal group).")
    static final class PortalAdd extends AdminCommand {
        @Parameters(paramLabel = "HOST:PORT", description = "The address.")
        String address;

        @Override
        void run() throws Refused {
            printResult(request("POST", "/v1/portals", object().put("address", address).toString()));
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true, description = "Stop listening on a portal; sessions through it stay.")
    static final class PortalRemove extends AdminCommand {
        @Parameters(paramLabel = "HOST:PORT", description = "The address.")
        String address;

        @Override
        void run() throws Refused {
            printResult(request("DELETE", "/v1/portals/" + segment(address), null));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List portals with their portal group tags.")
    static final class PortalList extends AdminCommand {
        @Override
        void run() throws Refused {
            for (JsonNode p : request("GET", "/v1/portals", null)) {
                out().println(p.path("address").asText() + "," + p.path("portal-group-tag").asInt());
            }
        }
    }

    @Command(name = "session", mixinStandardHelpOptions = true, description = "List or drop the sessions of a running server.",
            subcommands = {SessionList.class, SessionDrop.class})
    static final class SessionCmd {}

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List sessions: initiator, address, target, commands outstanding, negotiated parameters.")
    static final class SessionList extends AdminCommand {
        @Override
        void run() throws Refused {
            for (JsonNode s : request("GET", "/v1/sessions", null)) {
                out().printf("%s  %s  from %s  to %s  %d outstanding%n", s.path("id").asText(), s.path("initiator").asText(),
                        s.path("address").asText(), s.path("target").asText().isEmpty() ? "(discovery)" : s.path("target").asText(),
                        s.path("outstanding-commands").asInt());
                StringBuilder p = new StringBuilder("    ");
                s.path("parameters").properties().forEach(e -> p.append(e.getKey()).append('=').append(e.getValue().asText()).append(' '));
                out().println(p.toString().stripTrailing());
            }
        }
    }

    @Command(name = "drop", mixinStandardHelpOptions = true, description = "End a session (its connection closes; the initiator may log in again).")
    static final class SessionDrop extends AdminCommand {
        @Parameters(paramLabel = "ID", description = "The session id as 'session list' shows it, e.g. iscsi:0x0001.")
        String id;

        @Override
        void run() throws Refused {
            request("DELETE", "/v1/sessions/" + segment(id), null);
            out().println("dropped " + id);
        }
    }
}
