/**
 * Media driver directories shared by the broker hosts and the clients: who owns one, whether its driver
 * is alive, and the private directories of clients' embedded drivers.
 */
package io.spindle.driver;
