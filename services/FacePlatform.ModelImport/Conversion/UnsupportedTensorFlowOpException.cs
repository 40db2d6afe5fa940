namespace FacePlatform.ModelImport;

/// <summary>
/// A graph uses a TensorFlow op (or construct) the converter cannot translate. The import stops: a model with an op
/// left out or approximated would be silently wrong.
/// </summary>
public sealed class UnsupportedTensorFlowOpException : Exception
{
    /// <summary>Creates the error for <paramref name="op"/> in node <paramref name="node"/>.</summary>
    public UnsupportedTensorFlowOpException(string op, string node, string reason)
        : base($"Unsupported TensorFlow op '{op}' in node '{node}': {reason}.")
    {
        Op = op;
        Node = node;
    }

    /// <summary>Creates the error with a message only.</summary>
    public UnsupportedTensorFlowOpException(string message)
        : base(message)
    {
        Op = string.Empty;
        Node = string.Empty;
    }

    /// <summary>Creates the error with a message and cause.</summary>
    public UnsupportedTensorFlowOpException(string message, Exception innerException)
        : base(message, innerException)
    {
        Op = string.Empty;
        Node = string.Empty;
    }

    /// <summary>Creates an empty error.</summary>
    public UnsupportedTensorFlowOpException()
    {
        Op = string.Empty;
        Node = string.Empty;
    }

    /// <summary>The op type that could not be converted.</summary>
    public string Op { get; }

    /// <summary>The node that uses it.</summary>
    public string Node { get; }
}
