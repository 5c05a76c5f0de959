package io.spindle.client;

/**
 * A consumer's view of its group membership.
 *
 * @param groupId         the group.
 * @param generationId    the generation the consumer last joined, or -1.
 * @param memberId        the member id the coordinator gave it, or the empty string.
 * @param groupInstanceId the static instance id, or the empty string.
 */
public record GroupMetadata(String groupId, int generationId, String memberId, String groupInstanceId)
{
}
