package io.jtarget.scsi;

/** SAM-5 §8.6 task attributes; ACA is accepted only where the standard allows it. */
public enum TaskAttribute {
    SIMPLE,
    ORDERED,
    HEAD_OF_QUEUE,
    ACA
}
