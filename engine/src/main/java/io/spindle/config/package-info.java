/**
 * Reading configuration values: one syntax for sizes and durations, shared by every component's properties.
 */
package io.spindle.config;
