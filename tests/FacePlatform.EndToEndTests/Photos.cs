using System.Net.Http.Headers;

namespace FacePlatform.EndToEndTests;

/// <summary>Labelled photos of <c>../shared/data/faces</c> used by the end-to-end tests.</summary>
internal static class Photos
{
    private static string Faces => Path.Combine(RepositoryPaths.SharedData, "faces");

    public static string Obama1 => FaceRecognition("examples/knn_examples/train/obama/obama.jpg");
    public static string Obama2 => FaceRecognition("examples/knn_examples/train/obama/obama2.jpg");
    public static string ObamaProbe => FaceRecognition("examples/knn_examples/test/obama1.jpg");
    public static string Kit1 => FaceRecognition("examples/knn_examples/train/kit_harington/john1.jpeg");
    public static string Kit2 => FaceRecognition("examples/knn_examples/train/kit_harington/john2.jpeg");
    public static string KitProbe => FaceRecognition("examples/knn_examples/test/johnsnow_test1.jpg");
    public static string Alex1 => FaceRecognition("examples/knn_examples/train/alex_lacamoire/img1.jpg");
    public static string Alex2 => FaceRecognition("examples/alex-lacamoire.png");
    public static string AlexProbe => FaceRecognition("examples/knn_examples/test/alex_lacamoire1.jpg");
    public static string TwoPeople => FaceRecognition("examples/two_people.jpg");
    public static string NoFace => Path.Combine(Faces, "face-api-js", "no_face", "white.png");
    public static string Stranger => Path.Combine(Faces, "openface", "lennon-1.jpg");
    public static string Corrupted => Path.Combine(Faces, "compreface", "malformed", "corrupted.png");
    public static string Empty => Path.Combine(Faces, "compreface", "malformed", "empty.png");
    public static string Truncated => Path.Combine(Faces, "compreface", "malformed", "truncated.jpg");

    /// <summary>A multipart form with <paramref name="path"/> as file field <paramref name="field"/> and extra fields.</summary>
    public static MultipartFormDataContent Form(string path, string field = "image", params (string Name, string Value)[] fields)
    {
        var form = new MultipartFormDataContent();
        AddFile(form, path, field);
        foreach (var (name, value) in fields)
        {
            form.Add(new StringContent(value), name);
        }

        return form;
    }

    public static void AddFile(MultipartFormDataContent form, string path, string field)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"test photo {path} is missing (../shared/data must sit beside the repository)");
        }

        var file = new ByteArrayContent(File.ReadAllBytes(path));
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, field, Path.GetFileName(path));
    }

    private static string FaceRecognition(string relative) => Path.Combine(Faces, "face_recognition", relative);
}
