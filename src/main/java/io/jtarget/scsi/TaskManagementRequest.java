package io.jtarget.scsi;

/**
 * @param referencedTaskTag for ABORT TASK / QUERY TASK, the tag of the task it names
 */
public record TaskManagementRequest(ItNexus nexus, int lun, TaskManagementFunction function, long referencedTaskTag) {}
