"""Site pages every municipality portal needs: start, legal notices, accessibility, health."""
