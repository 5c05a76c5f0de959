/*
 * Copyright 2026 Spindle contributors.
 */
package io.spindle.log;

import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Every case of {@link PartitionLogFullDiskTest} with appends written by positional writes ({@code spindle.storage.append=write}).
 */
@ExtendWith(WriteAppendMode.class)
class PartitionLogFullDiskWriteModeTest extends PartitionLogFullDiskTest
{
}
