package dev.taskmesh.registry.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Keeps the signing keys in {@code registry.signing_keys}, so that every instance and every restart signs with the
 * same key and tokens outlive restarts. The first start creates the key.
 */
class SigningKeyStore {

    private static final Logger log = LoggerFactory.getLogger(SigningKeyStore.class);
    private static final int KEY_SIZE = 2048;

    private final JdbcTemplate jdbc;

    SigningKeyStore(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Reads the keys, creating the active one if there is none yet. */
    SigningKeys loadOrCreate() {
        List<StoredKey> keys = read();
        if (keys.stream().noneMatch(StoredKey::active)) {
            insertActive(generate());
            keys = read();
        }
        RSAKey active = keys.stream().filter(StoredKey::active).findFirst()
                .orElseThrow(() -> new IllegalStateException("No active signing key after creating one"))
                .key();
        List<JWK> publicKeys = keys.stream().map(k -> (JWK) k.key().toPublicJWK()).toList();
        return new SigningKeys(active, new JWKSet(publicKeys));
    }

    /*
     * Instances starting at the same moment may each generate a key; the partial unique index on the active flag
     * lets exactly one insert win, and everybody reads the winner back.
     */
    private void insertActive(RSAKey key) {
        int inserted;
        try {
            inserted = jdbc.update("""
                    INSERT INTO registry.signing_keys (kid, algorithm, public_key, private_key, active, created_at)
                    VALUES (?, ?, ?, ?, true, ?)
                    ON CONFLICT DO NOTHING
                    """, key.getKeyID(), JWSAlgorithm.RS256.getName(),
                    encode(key.toRSAPublicKey().getEncoded()), encode(key.toRSAPrivateKey().getEncoded()),
                    Timestamp.from(Instant.now()));
        } catch (JOSEException e) {
            throw new IllegalStateException("Cannot encode the new signing key", e);
        }
        if (inserted == 1) {
            log.info("Created signing key {}", key.getKeyID());
        }
    }

    private List<StoredKey> read() {
        return jdbc.query("""
                SELECT kid, public_key, private_key, active
                  FROM registry.signing_keys
                 ORDER BY active DESC, created_at
                """, (rs, n) -> new StoredKey(toJwk(rs.getString("kid"), rs.getString("public_key"),
                rs.getString("private_key")), rs.getBoolean("active")));
    }

    private static RSAKey generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(KEY_SIZE);
            KeyPair pair = generator.generateKeyPair();
            RSAKey withoutId = new RSAKey.Builder((RSAPublicKey) pair.getPublic()).build();
            // the RFC 7638 thumbprint: the same key always gets the same id
            String kid = withoutId.computeThumbprint().toString();
            return new RSAKey.Builder((RSAPublicKey) pair.getPublic())
                    .privateKey((RSAPrivateKey) pair.getPrivate())
                    .keyID(kid)
                    .keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.RS256)
                    .build();
        } catch (GeneralSecurityException | JOSEException e) {
            throw new IllegalStateException("Cannot generate an RSA signing key", e);
        }
    }

    private static RSAKey toJwk(String kid, String publicKey, String privateKey) {
        try {
            KeyFactory factory = KeyFactory.getInstance("RSA");
            var pub = (RSAPublicKey) factory.generatePublic(new X509EncodedKeySpec(decode(publicKey)));
            var priv = (RSAPrivateKey) factory.generatePrivate(new PKCS8EncodedKeySpec(decode(privateKey)));
            return new RSAKey.Builder(pub).privateKey(priv).keyID(kid).keyUse(KeyUse.SIGNATURE)
                    .algorithm(JWSAlgorithm.RS256).build();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Signing key " + kid + " in the database is unreadable", e);
        }
    }

    private static String encode(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    private static byte[] decode(String text) {
        return Base64.getDecoder().decode(text);
    }

    private record StoredKey(RSAKey key, boolean active) {
    }
}
