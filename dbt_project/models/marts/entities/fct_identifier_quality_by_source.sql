{#- Identifier quality per source, as int_identifier_quality defines it. -#}

{{ identifier_quality_for('source') }}
