package io.jtarget.scsi;

/** SAM-5 §7.1 service responses of task management functions. */
public enum TaskManagementResponse {
    FUNCTION_COMPLETE,
    FUNCTION_SUCCEEDED,
    FUNCTION_REJECTED,
    INCORRECT_LOGICAL_UNIT_NUMBER,
    TASK_DOES_NOT_EXIST,
    SERVICE_DELIVERY_OR_TARGET_FAILURE
}
