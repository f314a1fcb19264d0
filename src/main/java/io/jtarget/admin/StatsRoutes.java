package io.jtarget.admin;

import io.jtarget.admin.AdminServer.Route;
import io.jtarget.metrics.LunSample;
import io.jtarget.metrics.StatsSnapshot;
import io.jtarget.registry.Fabric;
import io.jtarget.registry.Registry;
import io.jtarget.registry.ServedTarget;
import io.jtarget.scsi.LogicalUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v1/stats}: every LUN's counters now (the targets', and the units fabrics serve on
 * their own, such as LIO's user backstores), for {@code jtarget stats}. The snapshot carries
 * the server's monotonic time, so the client's rates use the server's interval between two
 * snapshots. Reading sums a few LongAdders per LUN; nothing on the command path waits for it.
 */
public final class StatsRoutes {
    private StatsRoutes() {}

    public static List<Route> of(Registry registry) {
        return List.of(new Route("GET", "/v1/stats", req -> snapshot(registry)));
    }

    static StatsSnapshot snapshot(Registry registry) {
        long now = System.nanoTime();
        List<LunSample> luns = new ArrayList<>();
        for (ServedTarget t : registry.targets()) {
            for (LogicalUnit lu : t.logicalUnits()) {
                luns.add(LunSample.of(t.name(), lu.lun(), lu.stats()));
            }
        }
        for (Fabric.OwnUnit own : registry.fabricUnits()) {
            luns.add(LunSample.of(own.name(), own.unit().lun(), own.unit().stats()));
        }
        return new StatsSnapshot(now, luns);
    }
}
