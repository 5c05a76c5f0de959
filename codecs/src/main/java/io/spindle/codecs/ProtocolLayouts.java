package io.spindle.codecs;

import io.spindle.codecs.protocol.*;

import static io.spindle.codecs.MessageLayout.bytes;
import static io.spindle.codecs.MessageLayout.group;
import static io.spindle.codecs.MessageLayout.message;
import static io.spindle.codecs.MessageLayout.sessionMessage;
import static io.spindle.codecs.MessageLayout.since;
import static io.spindle.codecs.MessageLayout.string;

/**
 * The layout of every message of the Spindle protocol schema, indexed by template id.
 * <p>
 * Adding a message or changing a message's groups or var data in the schema means updating this table:
 * {@code ProtocolLayoutsTest} compares it with the schema XML and fails until it matches, and until then the
 * validator answers the new template with {@link ValidationResult#UNKNOWN_TEMPLATE}. Immutable and shared.
 */
final class ProtocolLayouts
{
    private static final MessageLayout[] LAYOUTS =
    {
        message(SessionConnectRequestDecoder.class,
            string("responseChannel"),
            string("clientId")),
        message(SessionConnectResponseDecoder.class, since(1,
            SessionConnectResponseDecoder.maxRequestLengthEncodingOffset()),
            string("errorMessage"),
            string("clusterMembers", 1)),
        message(SessionCloseRequestDecoder.class),
        sessionMessage(SessionClosedEventDecoder.class,
            string("reason")),
        sessionMessage(SessionKeepAliveDecoder.class),
        message(MetadataRequestDecoder.class,
            group(MetadataRequestDecoder.TopicsDecoder.class,
                string("name"))),
        message(MetadataResponseDecoder.class, since(1, MetadataResponseDecoder.leaderEpochEncodingOffset()),
            group(MetadataResponseDecoder.BrokersDecoder.class,
                string("endpoint")),
            group(MetadataResponseDecoder.TopicsDecoder.class,
                group(MetadataResponseDecoder.TopicsDecoder.PartitionsDecoder.class),
                string("name")),
            string("errorMessage")),
        message(CreateTopicsRequestDecoder.class,
            group(CreateTopicsRequestDecoder.TopicsDecoder.class,
                group(CreateTopicsRequestDecoder.TopicsDecoder.ConfigsDecoder.class,
                    string("key"),
                    string("value")),
                string("name"))),
        message(CreateTopicsResponseDecoder.class,
            group(CreateTopicsResponseDecoder.TopicsDecoder.class,
                string("name"),
                string("errorMessage")),
            string("errorMessage")),
        message(DeleteTopicsRequestDecoder.class,
            group(DeleteTopicsRequestDecoder.TopicsDecoder.class,
                string("name"))),
        message(DeleteTopicsResponseDecoder.class,
            group(DeleteTopicsResponseDecoder.TopicsDecoder.class,
                string("name"),
                string("errorMessage")),
            string("errorMessage")),
        message(DescribeTopicsRequestDecoder.class,
            group(DescribeTopicsRequestDecoder.TopicsDecoder.class,
                string("name"))),
        message(DescribeTopicsResponseDecoder.class,
            group(DescribeTopicsResponseDecoder.TopicsDecoder.class,
                group(DescribeTopicsResponseDecoder.TopicsDecoder.PartitionsDecoder.class, since(2,
                    DescribeTopicsResponseDecoder.TopicsDecoder.PartitionsDecoder.localLogStartOffsetEncodingOffset())),
                group(DescribeTopicsResponseDecoder.TopicsDecoder.ConfigsDecoder.class,
                    string("key"),
                    string("value"),
                    string("source", 2)),
                string("name"),
                string("errorMessage")),
            string("errorMessage")),
        message(ListTopicsRequestDecoder.class),
        message(ListTopicsResponseDecoder.class,
            group(ListTopicsResponseDecoder.TopicsDecoder.class,
                string("name")),
            string("errorMessage")),
        message(ProduceRequestDecoder.class,
            group(ProduceRequestDecoder.PartitionsDecoder.class,
                bytes("recordBatch")),
            string("transactionalId")),
        message(ProduceResponseDecoder.class,
            group(ProduceResponseDecoder.PartitionsDecoder.class),
            string("errorMessage")),
        message(FetchRequestDecoder.class,
            group(FetchRequestDecoder.PartitionsDecoder.class)),
        message(FetchResponseDecoder.class,
            group(FetchResponseDecoder.PartitionsDecoder.class,
                group(FetchResponseDecoder.PartitionsDecoder.AbortedTransactionsDecoder.class),
                bytes("records"))),
        message(FetchCreditDecoder.class),
        message(FetchCancelDecoder.class),
        message(ListOffsetsRequestDecoder.class,
            group(ListOffsetsRequestDecoder.PartitionsDecoder.class)),
        message(ListOffsetsResponseDecoder.class,
            group(ListOffsetsResponseDecoder.PartitionsDecoder.class),
            string("errorMessage")),
        message(InitProducerIdRequestDecoder.class,
            string("transactionalId")),
        message(InitProducerIdResponseDecoder.class,
            string("errorMessage")),
        message(JoinGroupRequestDecoder.class,
            group(JoinGroupRequestDecoder.ProtocolsDecoder.class,
                string("name"),
                bytes("metadata")),
            string("groupId"),
            string("memberId"),
            string("groupInstanceId"),
            string("protocolType"),
            string("reason"),
            string("clientId", 2),
            string("clientHost", 2)),
        message(JoinGroupResponseDecoder.class,
            group(JoinGroupResponseDecoder.MembersDecoder.class,
                string("memberId"),
                string("groupInstanceId"),
                bytes("metadata")),
            string("protocolType"),
            string("protocolName"),
            string("leader"),
            string("memberId"),
            string("errorMessage")),
        message(SyncGroupRequestDecoder.class,
            group(SyncGroupRequestDecoder.AssignmentsDecoder.class,
                string("memberId"),
                bytes("assignment")),
            string("groupId"),
            string("memberId"),
            string("groupInstanceId"),
            string("protocolType"),
            string("protocolName")),
        message(SyncGroupResponseDecoder.class,
            string("protocolType"),
            string("protocolName"),
            bytes("assignment"),
            string("errorMessage")),
        message(HeartbeatRequestDecoder.class,
            string("groupId"),
            string("memberId"),
            string("groupInstanceId")),
        message(HeartbeatResponseDecoder.class,
            string("errorMessage")),
        message(LeaveGroupRequestDecoder.class,
            group(LeaveGroupRequestDecoder.MembersDecoder.class,
                string("memberId"),
                string("groupInstanceId"),
                string("reason")),
            string("groupId")),
        message(LeaveGroupResponseDecoder.class,
            group(LeaveGroupResponseDecoder.MembersDecoder.class,
                string("memberId"),
                string("groupInstanceId")),
            string("errorMessage")),
        message(OffsetCommitRequestDecoder.class,
            group(OffsetCommitRequestDecoder.OffsetsDecoder.class,
                string("metadata")),
            string("groupId"),
            string("memberId"),
            string("groupInstanceId")),
        message(OffsetCommitResponseDecoder.class,
            group(OffsetCommitResponseDecoder.PartitionsDecoder.class),
            string("errorMessage")),
        message(OffsetFetchRequestDecoder.class,
            group(OffsetFetchRequestDecoder.PartitionsDecoder.class),
            string("groupId")),
        message(OffsetFetchResponseDecoder.class,
            group(OffsetFetchResponseDecoder.PartitionsDecoder.class,
                string("metadata")),
            string("errorMessage")),
        message(DescribeGroupsRequestDecoder.class,
            group(DescribeGroupsRequestDecoder.GroupsDecoder.class,
                string("groupId"))),
        message(DescribeGroupsResponseDecoder.class,
            group(DescribeGroupsResponseDecoder.GroupsDecoder.class,
                group(DescribeGroupsResponseDecoder.GroupsDecoder.MembersDecoder.class,
                    string("memberId"),
                    string("groupInstanceId"),
                    string("clientId"),
                    string("clientHost"),
                    bytes("memberMetadata"),
                    bytes("memberAssignment")),
                string("groupId"),
                string("groupState"),
                string("protocolType"),
                string("protocolName")),
            string("errorMessage")),
        message(ListGroupsRequestDecoder.class,
            group(ListGroupsRequestDecoder.StatesFilterDecoder.class,
                string("state"))),
        message(ListGroupsResponseDecoder.class,
            group(ListGroupsResponseDecoder.GroupsDecoder.class,
                string("groupId"),
                string("protocolType"),
                string("groupState")),
            string("errorMessage")),
        message(DeleteGroupsRequestDecoder.class,
            group(DeleteGroupsRequestDecoder.GroupsDecoder.class,
                string("groupId"))),
        message(DeleteGroupsResponseDecoder.class,
            group(DeleteGroupsResponseDecoder.GroupsDecoder.class,
                string("groupId")),
            string("errorMessage")),
        message(AddPartitionsToTxnRequestDecoder.class,
            group(AddPartitionsToTxnRequestDecoder.PartitionsDecoder.class),
            string("transactionalId")),
        message(AddPartitionsToTxnResponseDecoder.class,
            group(AddPartitionsToTxnResponseDecoder.PartitionsDecoder.class),
            string("errorMessage")),
        message(EndTxnRequestDecoder.class,
            string("transactionalId")),
        message(EndTxnResponseDecoder.class,
            string("errorMessage")),
        message(TxnOffsetCommitRequestDecoder.class,
            group(TxnOffsetCommitRequestDecoder.OffsetsDecoder.class,
                string("metadata")),
            string("transactionalId"),
            string("groupId")),
        message(TxnOffsetCommitResponseDecoder.class,
            group(TxnOffsetCommitResponseDecoder.PartitionsDecoder.class),
            string("errorMessage")),
        message(AlterTopicRequestDecoder.class,
            group(AlterTopicRequestDecoder.ConfigsDecoder.class,
                string("key"),
                string("value")),
            string("topic")),
        message(AlterTopicResponseDecoder.class,
            string("errorMessage")),
        message(ErrorResponseDecoder.class,
            string("errorMessage")),
        message(MemberSnapshotHeldDecoder.class),
        message(SegmentArchivedDecoder.class),
        message(MemberFilesRequestDecoder.class,
            string("responseChannel"),
            string("directory"),
            string("after"),
            string("proof", 3)),
        message(MemberFilesResponseDecoder.class,
            group(MemberFilesResponseDecoder.FilesDecoder.class,
                string("name")),
            string("errorMessage")),
        message(MemberFileReadRequestDecoder.class,
            string("responseChannel"),
            string("name"),
            string("proof", 3)),
        message(MemberFileReadResponseDecoder.class,
            bytes("data"),
            string("errorMessage"))

    };

    private static final MessageLayout[] BY_TEMPLATE_ID;

    static
    {
        int maxTemplateId = 0;
        for (final MessageLayout layout : LAYOUTS)
        {
            maxTemplateId = Math.max(maxTemplateId, layout.templateId);
        }

        BY_TEMPLATE_ID = new MessageLayout[maxTemplateId + 1];
        for (final MessageLayout layout : LAYOUTS)
        {
            if (null != BY_TEMPLATE_ID[layout.templateId])
            {
                throw new IllegalStateException("duplicate template id " + layout.templateId + ": " + layout.name);
            }
            BY_TEMPLATE_ID[layout.templateId] = layout;
        }
    }

    private ProtocolLayouts()
    {
    }

    /**
     * The layout of a template.
     *
     * @param templateId from a message header, any value.
     * @return the layout, or null when the schema has no such template.
     */
    static MessageLayout layout(final int templateId)
    {
        return templateId >= 0 && templateId < BY_TEMPLATE_ID.length ? BY_TEMPLATE_ID[templateId] : null;
    }

    /**
     * Number of templates in the schema.
     *
     * @return the number of layouts.
     */
    static int count()
    {
        return LAYOUTS.length;
    }

    /**
     * The layout at an index in schema order.
     *
     * @param index from 0 to {@link #count()} - 1.
     * @return the layout.
     */
    static MessageLayout layoutAt(final int index)
    {
        return LAYOUTS[index];
    }
}
