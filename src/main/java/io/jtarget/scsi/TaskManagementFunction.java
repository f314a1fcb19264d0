package io.jtarget.scsi;

/** SAM-5 §7 task management functions. */
public enum TaskManagementFunction {
    ABORT_TASK,
    ABORT_TASK_SET,
    CLEAR_ACA,
    CLEAR_TASK_SET,
    LOGICAL_UNIT_RESET,
    TARGET_WARM_RESET,
    TARGET_COLD_RESET,
    QUERY_TASK,
    QUERY_TASK_SET,
    QUERY_ASYNCHRONOUS_EVENT
}
