/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every case of {@link PartitionLogModelTest} with appends written by positional writes ({@code spindle.storage.append=write}).
 */
@ExtendWith(WriteAppendMode.class)
class PartitionLogModelWriteModeTest extends PartitionLogModelTest
{
}
