/**
 * The broker state machine hosted as an Aeron {@code ClusteredService}, and the node launcher.
 */
package io.spindle.cluster;
