package io.spindle.codecs;

/**
 * Names of the Spindle protocol's messages by template id, for error messages and logs; allocation free.
 */
public final class ProtocolNames
{
    /**
     * Name returned for a template id the schema does not have.
     */
    public static final String UNKNOWN_MESSAGE = "UnknownMessage";

    private ProtocolNames()
    {
    }

    /**
     * The schema name of a message, e.g. {@code ProduceRequest} for template id 30.
     *
     * @param templateId any value.
     * @return the name, or {@link #UNKNOWN_MESSAGE} when the schema has no such template.
     */
    public static String messageName(final int templateId)
    {
        final MessageLayout layout = ProtocolLayouts.layout(templateId);

        return null == layout ? UNKNOWN_MESSAGE : layout.name;
    }

    /**
     * Whether the schema has a message with this template id.
     *
     * @param templateId any value.
     * @return true when the template is known.
     */
    public static boolean isKnownTemplate(final int templateId)
    {
        return null != ProtocolLayouts.layout(templateId);
    }

    /**
     * Whether a message's first field is a client-chosen correlationId (false for session events, e.g.
     * {@code SessionKeepAlive}, whose first field is a sessionId, and for unknown templates).
     *
     * @param templateId any value.
     * @return true when the template is known and begins with a correlationId.
     */
    public static boolean hasCorrelationId(final int templateId)
    {
        final MessageLayout layout = ProtocolLayouts.layout(templateId);

        return null != layout && MessageLayout.FirstField.CORRELATION_ID == layout.firstField;
    }
}
