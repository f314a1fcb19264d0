package io.jtarget.testinit;

import java.util.List;

/** One TargetName from a SendTargets answer with the TargetAddress values that followed it (RFC 7143 Appendix C). */
public record DiscoveredTarget(String name, List<String> addresses) {}
