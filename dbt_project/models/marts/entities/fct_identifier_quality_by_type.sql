{#- Identifier quality per id_type, as int_identifier_quality defines it. -#}

{{ identifier_quality_for('id_type') }}
