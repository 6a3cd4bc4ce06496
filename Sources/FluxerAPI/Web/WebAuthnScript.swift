/// The one script the authorize pages use: the security-key step of the MFA page. It reads the request options
/// the server put in the form's `data-options`, asks the browser for an assertion (WebAuthn §5.1.4,
/// `navigator.credentials.get`), writes it into the form as JSON (the `toJSON()` shape, base64url) and submits.
/// Served from this origin (`script-src 'self'`), never inline; without script the page says to use a code.
package enum WebAuthnScript {
    package static let path = "/oauth2/assets/webauthn.js"

    package static let source = #"""
        (function () {
          "use strict";
          var form = document.getElementById("webauthn-form");
          if (!form) return;
          var note = document.getElementById("webauthn-note");
          var button = form.querySelector("button");
          if (!window.PublicKeyCredential || !navigator.credentials) {
            note.textContent = "This browser cannot use security keys here. Use a code instead, if you have one.";
            note.hidden = false;
            return;
          }
          button.disabled = false;
          function encode(buffer) {
            var bytes = new Uint8Array(buffer), text = "";
            for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
            return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
          }
          function decode(text) {
            text = text.replace(/-/g, "+").replace(/_/g, "/");
            while (text.length % 4) text += "=";
            var binary = atob(text), bytes = new Uint8Array(binary.length);
            for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
            return bytes.buffer;
          }
          form.addEventListener("submit", function (event) {
            event.preventDefault();
            button.disabled = true;
            note.hidden = true;
            var options = JSON.parse(form.getAttribute("data-options"));
            var publicKey = {
              challenge: decode(options.challenge),
              timeout: options.timeout,
              rpId: options.rpId,
              userVerification: options.userVerification,
              allowCredentials: options.allowCredentials.map(function (c) { return { type: c.type, id: decode(c.id) }; })
            };
            navigator.credentials.get({ publicKey: publicKey }).then(function (credential) {
              var r = credential.response;
              form.elements.response.value = JSON.stringify({
                id: credential.id, rawId: encode(credential.rawId), type: credential.type,
                response: {
                  clientDataJSON: encode(r.clientDataJSON), authenticatorData: encode(r.authenticatorData),
                  signature: encode(r.signature), userHandle: r.userHandle ? encode(r.userHandle) : null
                }
              });
              form.submit();
            }, function (error) {
              note.textContent = "The security key did not answer (" + error.name + "). Try again, or use a code.";
              note.hidden = false;
              button.disabled = false;
            });
          });
        })();
        """#
}
