import FluxerAuth
print("fluxer-auth")
