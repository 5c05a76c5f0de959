/**
 * Media driver directories shared by the broker hosts and the clients: who owns one, whether its driver
 * is alive, and the private directories of clients' embedded drivers; and the scheduler slice the threads of the
 * drivers and agents a record waits on ask for.
 */
package io.spindle.driver;
