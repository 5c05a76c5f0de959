/*
 * Copyright 2026 Spindle contributors.
 */
/**
 * Seeing inside a running broker or cluster member, the Aeron way: its mark file and distinct error log
 * ({@code spindle errors}), its counters in the media driver's counters file ({@code spindle stat}), and recovery
 * warnings. Used by the hosts, read by the tools.
 */
package io.spindle.monitor;
