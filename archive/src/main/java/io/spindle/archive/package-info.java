/**
 * Aeron Archive for Spindle: archiving sealed segments, replay below local retention and rebuilding a lost broker.
 */
package io.spindle.archive;
