using FacePlatform.Contracts.Internal.V1;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;

namespace FacePlatform.Identity.Grpc;

// Search and verification by an enrolled face: the gateway reads the face's stored vector here and sends it as an
// ordinary query to Search or Verify, so the search path itself does not change.
internal sealed partial class IdentityGrpcService
{
    public override async Task<Contracts.V1.Embedding> GetFaceEmbedding(GetFaceEmbeddingRequest request, ServerCallContext context)
    {
        var tenantId = Ids.Tenant(request.TenantId);
        var collectionId = Ids.Parse(request.CollectionId, "collection");
        var faceId = Ids.Parse(request.FaceId, "face");
        var face = await db.Faces.AsNoTracking()
            .Where(f => f.Id == faceId && f.CollectionId == collectionId && f.TenantId == tenantId)
            .Select(f => new { f.ModelId, f.Embedding })
            .FirstOrDefaultAsync(context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"face '{request.FaceId}' was not found"));
        var embedding = new Contracts.V1.Embedding { ModelId = face.ModelId };
        // Stored in half precision (11 significant bits), as search compares it.
        embedding.Values.AddRange(face.Embedding.ToArray().Select(value => (float)value));
        return embedding;
    }
}
