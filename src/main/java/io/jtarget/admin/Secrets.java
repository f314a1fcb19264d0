package io.jtarget.admin;

import io.jtarget.config.ConfigDocument;
import io.jtarget.config.ConfigDocument.Auth;
import io.jtarget.config.ConfigDocument.Chap;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Inline CHAP secrets never leave the server: {@code config show} replaces them with {@link
 * Management#REDACTED}, and applying a document that still carries the marker keeps the secret the
 * same user has now (so show, edit, apply works without retyping secrets).
 */
final class Secrets {
    private Secrets() {}

    static ConfigDocument redact(ConfigDocument doc) {
        return map(doc, (path, chap) -> chap.secret() == null ? chap
                : new Chap(chap.user(), Management.REDACTED, chap.secretFile()));
    }

    /** {@code wanted} with every redacted secret replaced by the current one of the same place and user. */
    static ConfigDocument unredact(ConfigDocument wanted, ConfigDocument current) {
        return map(wanted, (path, chap) -> {
            if (!Management.REDACTED.equals(chap.secret())) {
                return chap;
            }
            Chap now = find(current, path);
            return now != null && Objects.equals(now.user(), chap.user()) && now.secret() != null
                    ? new Chap(chap.user(), now.secret(), chap.secretFile()) : chap;
        });
    }

    /** Where a CHAP section sits: a target's name (or null for discovery) and whether it is the mutual one. */
    private record Place(String target, boolean mutual) {}

    @FunctionalInterface
    private interface ChapMapper {
        Chap map(Place place, Chap chap);
    }

    private static ConfigDocument map(ConfigDocument doc, ChapMapper f) {
        List<ConfigDocument.Target> targets = new ArrayList<>();
        for (ConfigDocument.Target t : doc.targets()) {
            targets.add(t == null ? null : new ConfigDocument.Target(t.name(), t.luns(), map(t.auth(), t.name(), f), t.access()));
        }
        return new ConfigDocument(doc.portals(), map(doc.discoveryAuth(), null, f), doc.limits(), targets);
    }

    private static Auth map(Auth a, String target, ChapMapper f) {
        if (a == null) {
            return null;
        }
        return new Auth(a.chap() == null ? null : f.map(new Place(target, false), a.chap()),
                a.mutualChap() == null ? null : f.map(new Place(target, true), a.mutualChap()), a.algorithms());
    }

    private static Chap find(ConfigDocument doc, Place place) {
        Auth auth;
        if (place.target() == null) {
            auth = doc.discoveryAuth();
        } else {
            int i = doc.indexOfTarget(place.target());
            auth = i < 0 ? null : doc.targets().get(i).auth();
        }
        if (auth == null) {
            return null;
        }
        return place.mutual() ? auth.mutualChap() : auth.chap();
    }
}
