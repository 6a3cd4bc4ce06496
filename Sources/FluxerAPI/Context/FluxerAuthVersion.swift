/// The version printed by `--version`.
public enum FluxerAuthVersion {
    /// Semantic version of this build.
    public static let string = "0.1.0"
}
