package io.jtarget.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.jtarget.admin.AdminServer.Request;
import io.jtarget.admin.AdminServer.Route;
import io.jtarget.admin.ChangeRefused.Kind;
import io.jtarget.config.AddressRange;
import io.jtarget.config.ConfigDocument;
import io.jtarget.config.ConfigException;
import io.jtarget.config.ConfigFiles;
import io.jtarget.config.IscsiNameFolding;
import io.jtarget.config.IscsiNames;
import io.jtarget.config.LunConfig;
import io.jtarget.config.Portals;
import io.jtarget.iscsi.session.IscsiServerContext;
import io.jtarget.registry.RegistryException;
import io.jtarget.registry.ServedTarget;
import io.jtarget.scsi.LogicalUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The management endpoints of docs/admin-api.md over a {@link Management}. */
public final class ManagementRoutes {
    private ManagementRoutes() {}

    /** A LUN as listed. */
    public record LunView(int lun, String backing, long sizeBytes, long blocks, int blockSize, boolean readOnly,
            boolean removable, String serial, int outstandingCommands) {}

    /** A target as listed. */
    public record TargetView(String name, String auth, String access, List<LunView> luns) {}

    /** Access rules as listed. */
    public record AclView(String target, List<String> initiators, List<String> addresses,
            Map<String, List<Integer>> mappedLuns) {}

    /** A portal as listed. */
    public record PortalView(String address, int portalGroupTag) {}

    public static List<Route> of(Management m) {
        List<Route> r = new ArrayList<>();
        r.add(new Route("GET", "/v1/targets", req -> targets(m)));
        r.add(new Route("POST", "/v1/targets", req -> addTarget(m, req)));
        r.add(new Route("DELETE", "/v1/targets/{target}", req -> m.change(d -> removeTarget(d, req.param("target")),
                req.flag("force"))));
        r.add(new Route("GET", "/v1/targets/{target}/luns", req -> target(m, req.param("target")).luns()));
        r.add(new Route("POST", "/v1/targets/{target}/luns", req -> addLun(m, req)));
        r.add(new Route("DELETE", "/v1/targets/{target}/luns/{lun}", req -> removeLun(m, req)));
        r.add(new Route("PUT", "/v1/targets/{target}/luns/{lun}/size", req -> resizeLun(m, req)));
        r.add(new Route("GET", "/v1/targets/{target}/acl", req -> acl(m, req.param("target"))));
        r.add(new Route("POST", "/v1/targets/{target}/acl", req -> changeAcl(m, req, true)));
        r.add(new Route("DELETE", "/v1/targets/{target}/acl", req -> changeAcl(m, req, false)));
        r.add(new Route("GET", "/v1/portals", req -> portals(m)));
        r.add(new Route("POST", "/v1/portals", req -> addPortal(m, req)));
        r.add(new Route("DELETE", "/v1/portals/{address}", req -> removePortal(m, req)));
        r.add(new Route("GET", "/v1/sessions", req -> m.registry().sessions()));
        r.add(new Route("DELETE", "/v1/sessions/{id}", req -> dropSession(m, req.param("id"))));
        r.add(new Route("GET", "/v1/config", req -> new AdminServer.Text("application/yaml",
                ConfigFiles.format(m.redactedDocument()))));
        r.add(new Route("POST", "/v1/config/validate", req -> {
            m.validate(parse(req.body()));
            return Map.of("valid", true);
        }));
        r.add(new Route("POST", "/v1/config", req -> m.apply(parse(req.body()), req.flag("force"), req.body())));
        r.add(new Route("POST", "/v1/config/reload", req -> m.reload()));
        return r;
    }

    private static List<TargetView> targets(Management m) {
        return m.registry().targets().stream().map(ManagementRoutes::view).toList();
    }

    private static TargetView target(Management m, String name) throws ChangeRefused {
        ServedTarget t = m.registry().target(name);
        if (t == null) {
            throw new ChangeRefused(Kind.NOT_FOUND, "no target " + name);
        }
        return view(t);
    }

    private static TargetView view(ServedTarget t) {
        List<LunView> luns = new ArrayList<>();
        for (LogicalUnit lu : t.logicalUnits()) {
            LunConfig config = t.lunConfig(lu.lun());
            long blocks = lu.device().blockCount();
            luns.add(new LunView(lu.lun(), config == null ? lu.device().describe() : config.backing().spec(),
                    blocks * lu.device().blockSize(), blocks, lu.device().blockSize(), lu.readOnly(), lu.removable(),
                    lu.serial(), t.core().outstandingCommands(lu)));
        }
        return new TargetView(t.name(), t.auth().describe(), t.access().describe(), luns);
    }

    private static Management.Result addTarget(Management m, Request req) throws ChangeRefused {
        String name = text(req.json(), "name", true);
        if (!IscsiNames.isValid(name)) {
            throw new ChangeRefused(Kind.BAD_VALUE, "'" + name + "' is not an iSCSI name");
        }
        if (m.document().indexOfTarget(name) >= 0) {
            throw new ChangeRefused(Kind.CONFLICT, "target " + name + " already exists");
        }
        return m.change(d -> {
            List<ConfigDocument.Target> targets = new ArrayList<>(d.targets());
            targets.add(new ConfigDocument.Target(name, List.of(), null, null));
            return d.withTargets(targets);
        }, false);
    }

    private static ConfigDocument removeTarget(ConfigDocument d, String name) {
        List<ConfigDocument.Target> targets = new ArrayList<>(d.targets());
        targets.removeIf(t -> t.name() != null && IscsiNameFolding.fold(t.name()).equals(IscsiNameFolding.fold(name)));
        return d.withTargets(targets);
    }

    private static Management.Result addLun(Management m, Request req) throws ChangeRefused {
        JsonNode body = req.json();
        String backing = text(body, "backing", true);
        String size = text(body, "size", false);
        if (size != null) {
            Management.checkedSize(size);
        }
        Integer number = body.hasNonNull("lun") ? body.get("lun").asInt() : null;
        int index = m.document().indexOfTarget(req.param("target"));
        if (number != null && index >= 0 && m.document().targets().get(index).luns().stream()
                .anyMatch(l -> number.equals(l.lun()))) {
            throw new ChangeRefused(Kind.CONFLICT, "LUN " + number + " already exists in target " + req.param("target"));
        }
        Boolean readOnly = body.path("read-only").asBoolean(false) ? Boolean.TRUE : null;
        Boolean removable = body.path("removable").asBoolean(false) ? Boolean.TRUE : null;
        return m.changeTarget(req.param("target"), t -> {
            List<ConfigDocument.Lun> luns = new ArrayList<>(t.luns());
            luns.add(new ConfigDocument.Lun(number != null ? number : Management.freeLun(t), backing, size, readOnly,
                    removable));
            return t.withLuns(luns);
        }, false);
    }

    private static Management.Result removeLun(Management m, Request req) throws ChangeRefused {
        int lun = lunNumber(req);
        requireLun(m, req.param("target"), lun);
        // The LUN leaves every initiator's mapping with it.
        return m.changeTarget(req.param("target"), t -> withoutMapped(t.withLuns(t.luns().stream()
                .filter(l -> l.lun() == null || l.lun() != lun).toList()), lun), req.flag("force"));
    }

    private static ConfigDocument.Target withoutMapped(ConfigDocument.Target t, int lun) {
        if (t.access() == null || t.access().mappedLuns().isEmpty()) {
            return t;
        }
        Map<String, List<Integer>> mapped = new LinkedHashMap<>();
        t.access().mappedLuns().forEach((name, luns) -> mapped.put(name,
                luns.stream().filter(n -> n == null || n != lun).toList()));
        return t.withAccess(new ConfigDocument.Access(t.access().initiators(), t.access().addresses(), mapped));
    }

    private static Management.Result resizeLun(Management m, Request req) throws ChangeRefused {
        int lun = lunNumber(req);
        JsonNode body = req.json();
        String size = Management.checkedSize(text(body, "size", true));
        requireLun(m, req.param("target"), lun);
        return m.changeTarget(req.param("target"), t -> t.withLuns(t.luns().stream()
                .map(l -> l.lun() != null && l.lun() == lun ? l.withSize(size) : l).toList()),
                body.path("force").asBoolean(false) || req.flag("force"));
    }

    private static void requireLun(Management m, String target, int lun) throws ChangeRefused {
        int index = m.document().indexOfTarget(target);
        if (index < 0) {
            throw new ChangeRefused(Kind.NOT_FOUND, "no target " + target);
        }
        if (m.document().targets().get(index).luns().stream().noneMatch(l -> l.lun() != null && l.lun() == lun)) {
            throw new ChangeRefused(Kind.NOT_FOUND, "no LUN " + lun + " in target " + target);
        }
    }

    private static AclView acl(Management m, String name) throws ChangeRefused {
        int index = m.document().indexOfTarget(name);
        if (index < 0) {
            throw new ChangeRefused(Kind.NOT_FOUND, "no target " + name);
        }
        ConfigDocument.Target t = m.document().targets().get(index);
        ConfigDocument.Access a = t.access() == null ? new ConfigDocument.Access(null, null) : t.access();
        return new AclView(t.name(), a.initiators(), a.addresses(), a.mappedLuns());
    }

    /**
     * Adds or removes one initiator name ({@code initiator}, with {@code luns}: the only LUNs it sees)
     * or address range ({@code address}).
     */
    private static Management.Result changeAcl(Management m, Request req, boolean add) throws ChangeRefused {
        JsonNode body = add ? req.json() : null;
        String initiator = add ? text(body, "initiator", false) : req.query("initiator");
        String address = add ? text(body, "address", false) : req.query("address");
        if ((initiator == null) == (address == null)) {
            throw new ChangeRefused(Kind.BAD_VALUE, "give exactly one of initiator and address");
        }
        if (initiator != null && !IscsiNames.isValid(initiator)) {
            throw new ChangeRefused(Kind.BAD_VALUE, "'" + initiator + "' is not an iSCSI name");
        }
        if (address != null) {
            try {
                AddressRange.parse(address);
            } catch (IllegalArgumentException e) {
                throw new ChangeRefused(Kind.BAD_VALUE, e.getMessage());
            }
        }
        List<Integer> luns = null;
        if (body != null && body.has("luns")) {
            luns = new ArrayList<>();
            for (JsonNode n : body.get("luns")) {
                luns.add(n.asInt());
            }
        }
        AclView now = acl(m, req.param("target"));
        List<String> initiators = new ArrayList<>(now.initiators());
        List<String> addresses = new ArrayList<>(now.addresses());
        Map<String, List<Integer>> mapped = new LinkedHashMap<>(now.mappedLuns());
        List<String> list = initiator != null ? initiators : addresses;
        String value = initiator != null ? initiator : address;
        if (add) {
            if (list.stream().anyMatch(v -> v.equalsIgnoreCase(value))) {
                throw new ChangeRefused(Kind.CONFLICT, value + " is already allowed");
            }
            list.add(value);
            if (luns != null) {
                mapped.put(value, luns);
            }
        } else {
            if (!list.removeIf(v -> v.equalsIgnoreCase(value))) {
                throw new ChangeRefused(Kind.NOT_FOUND, value + " is not in the access rules of " + now.target());
            }
            mapped.keySet().removeIf(k -> k.equalsIgnoreCase(value));
        }
        ConfigDocument.Access access = initiators.isEmpty() && addresses.isEmpty() && mapped.isEmpty() ? null
                : new ConfigDocument.Access(initiators, addresses, mapped);
        return m.changeTarget(req.param("target"), t -> t.withAccess(access), false);
    }

    private static List<PortalView> portals(Management m) {
        List<PortalView> list = new ArrayList<>();
        for (IscsiServerContext.Portal p : m.server().portalsWithTags()) {
            list.add(new PortalView(Portals.format(p.address()), p.tag()));
        }
        return list;
    }

    private static Management.Result addPortal(Management m, Request req) throws ChangeRefused {
        String address = canonicalPortal(text(req.json(), "address", true));
        return m.change(d -> {
            List<String> portals = new ArrayList<>(d.portals());
            portals.add(address);
            return d.withPortals(portals);
        }, false);
    }

    private static Management.Result removePortal(Management m, Request req) throws ChangeRefused {
        String address = canonicalPortal(req.param("address"));
        List<String> portals = new ArrayList<>();
        boolean found = false;
        for (String p : m.document().portals()) {
            if (canonicalPortal(p).equals(address)) {
                found = true;
            } else {
                portals.add(p);
            }
        }
        if (!found) {
            throw new ChangeRefused(Kind.NOT_FOUND, "no portal " + address);
        }
        return m.change(d -> d.withPortals(portals), false);
    }

    private static String canonicalPortal(String text) throws ChangeRefused {
        try {
            return Portals.format(Portals.parse(text));
        } catch (IllegalArgumentException e) {
            throw new ChangeRefused(Kind.BAD_VALUE, e.getMessage());
        }
    }

    private static Object dropSession(Management m, String id) throws ChangeRefused {
        try {
            m.registry().dropSession(id);
        } catch (RegistryException e) {
            throw ChangeRefused.of(e);
        }
        return Map.of("dropped", id);
    }

    private static ConfigDocument parse(String body) throws ChangeRefused {
        try {
            return ConfigFiles.parse(body);
        } catch (ConfigException e) {
            throw ChangeRefused.of(e);
        }
    }

    private static int lunNumber(Request req) throws ChangeRefused {
        try {
            return Integer.parseInt(req.param("lun"));
        } catch (NumberFormatException e) {
            throw new ChangeRefused(Kind.BAD_VALUE, "not a LUN number: " + req.param("lun"));
        }
    }

    private static String text(JsonNode body, String field, boolean required) throws ChangeRefused {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new ChangeRefused(Kind.BAD_VALUE, "'" + field + "' is required");
            }
            return null;
        }
        return v.asText();
    }
}
