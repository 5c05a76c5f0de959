/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Runs a test class's storage tests in {@link AppendMode#MAPPED}: sets {@code spindle.storage.append=mapped} before
 * its first test and clears it after its last, so a subclass of a storage test repeats every case in that mode.
 * Test classes run one after another in each test JVM (surefire forks JVMs, never threads), so the property does not
 * leak into another class.
 */
public final class MappedAppendMode implements BeforeAllCallback, AfterAllCallback
{
    /**
     * {@inheritDoc}
     */
    public void beforeAll(final ExtensionContext context)
    {
        assertNull(System.getProperty(StorageConfiguration.APPEND.name()), "append mode already set");
        System.setProperty(StorageConfiguration.APPEND.name(), "mapped");
        assertEquals(AppendMode.MAPPED, StorageConfiguration.appendMode());
    }

    /**
     * {@inheritDoc}
     */
    public void afterAll(final ExtensionContext context)
    {
        System.clearProperty(StorageConfiguration.APPEND.name());
    }
}
